// Slack's signing scheme against the test vectors of PROTOCOL.md §5.1 (the docs example and our
// fixtures, signed with `fakeSigningSecret0000000000000001` at ts 1700000000).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { signSlackRequest, verifySlackSignature } from './signature';

const SECRET = 'fakeSigningSecret0000000000000001';
const TS = '1700000000';
const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures', name));

const VECTORS: Array<[string, string]> = [
  ['http_slash_command.form', 'v0=1482f25ffc68d7c08779f5b16d1288fb88edcd99ba3d9499b05747432a5237e7'],
  ['http_block_actions.form', 'v0=e4ce1aa73b7e44f44cb08fefecfd1066b4613046d01a9aad0e919d14109ad942'],
  ['http_event_callback.json', 'v0=a60b12c85c830ca146cd4204bc128e8486bfd325dd84de9c0a0761e467d97460'],
  ['http_url_verification.json', 'v0=ab90280e5b7e23de92b4a866a641174a62425c9055919dfc8e4c6b241ed3ec4b'],
];

test('the fixtures sign to the signatures in PROTOCOL.md §5.1, and verify', () => {
  for (const [name, signature] of VECTORS) {
    assert.equal(signSlackRequest(SECRET, TS, fixture(name)), signature, name);
    assert.deepEqual(verifySlackSignature({ signingSecret: SECRET, signature, timestamp: TS, rawBody: fixture(name), nowMs: 1700000000 * 1000 }), { ok: true });
  }
});

test("Slack's documentation example", () => {
  const body =
    'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
  assert.equal(signSlackRequest('8f742231b10e8888abcd99yyyzzz85a5', '1531420618', Buffer.from(body)), 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503');
});

test('refusals: tampered body, wrong secret, outside the ±5 min window either way, missing or malformed headers', () => {
  const [name, signature] = VECTORS[2]!;
  const body = fixture(name);
  const check = (over: Partial<Parameters<typeof verifySlackSignature>[0]>) =>
    verifySlackSignature({ signingSecret: SECRET, signature, timestamp: TS, rawBody: body, nowMs: 1700000000 * 1000, ...over });
  const tampered = Buffer.from(body.toString('utf8').replace('deploy status', 'deploy statuz'));
  assert.deepEqual(check({ rawBody: tampered }), { ok: false, reason: 'bad_signature' });
  assert.deepEqual(check({ signingSecret: 'anotherSigningSecret000000000001' }), { ok: false, reason: 'bad_signature' });
  assert.deepEqual(check({ nowMs: (1700000000 + 300) * 1000 }), { ok: true }, 'exactly 5 min old is still accepted');
  assert.deepEqual(check({ nowMs: (1700000000 + 301) * 1000 }), { ok: false, reason: 'stale_timestamp' });
  assert.deepEqual(check({ nowMs: (1700000000 - 301) * 1000 }), { ok: false, reason: 'stale_timestamp' }, 'future timestamps too');
  assert.deepEqual(check({ signature: undefined }), { ok: false, reason: 'missing_signature' });
  assert.deepEqual(check({ timestamp: undefined }), { ok: false, reason: 'missing_signature' });
  assert.deepEqual(check({ timestamp: '17e8' }), { ok: false, reason: 'missing_signature' });
  assert.deepEqual(check({ signature: signature.slice(0, -1) }), { ok: false, reason: 'missing_signature' }, 'a short signature never reaches the compare');
  assert.deepEqual(check({ signature: `v1=${signature.slice(3)}` }), { ok: false, reason: 'missing_signature' });
});
