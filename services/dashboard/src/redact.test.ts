import { test } from 'node:test';
import assert from 'node:assert/strict';
import { REDACTED, redactForDisplay, redactString } from './redact';

test('secret keys are replaced at any depth, whatever their case and prefix', () => {
  const out = redactForDisplay({
    token: 'FAKEverificationTOKEN0001',
    payload: {
      bot_access_token: 'abc',
      nested: [{ appToken: 'abc', client_secret: 'abc', signingSecret: 'abc', password: 'abc', Authorization: 'abc', cookie: 'abc' }],
    },
    headers: { authorization: 'Bearer abc' },
  }) as Record<string, never>;
  assert.deepEqual(out, {
    token: REDACTED,
    payload: {
      bot_access_token: REDACTED,
      nested: [{ appToken: REDACTED, client_secret: REDACTED, signingSecret: REDACTED, password: REDACTED, Authorization: REDACTED, cookie: REDACTED }],
    },
    headers: { authorization: REDACTED },
  });
});

test("Slack's non-secret look-alikes are kept", () => {
  const input = {
    authorizations: [{ team_id: 'T1', user_id: 'U1', is_bot: true }],
    event: { type: 'tokens_revoked', tokens: { oauth: ['U1'], bot: ['U2'] } },
    token: null,
    event_context: 'EC0001',
  };
  assert.deepEqual(redactForDisplay(input), input);
});

test('Slack token shapes, bearer credentials and URL passwords are censored inside any string', () => {
  const text =
    'failed: invalid_auth for xoxb-1111-2222-abcdefABCDEF, xoxp-9-9-9, xapp-1-A1-1-ffff and xoxe.xoxp-1-zz (Authorization: Bearer s3cr3t-value-123) redis://user:hunter2@redis:6379';
  const out = redactString(text);
  for (const secret of ['xoxb-1111', 'xoxp-9-9-9', 'xapp-1-A1', 'xoxp-1-zz', 's3cr3t-value-123', 'hunter2']) assert.ok(!out.includes(secret), `${secret} is gone: ${out}`);
  assert.match(out, /invalid_auth/);
  assert.match(out, /Bearer \[redacted\]/);
  assert.match(out, /redis:\/\/user:\[redacted\]@redis:6379/);
  assert.deepEqual(redactForDisplay(['xoxb-1-2-3', 42, true, null]), [REDACTED, 42, true, null]);
});

test('the original is not modified and very deep values are cut', () => {
  const input = { a: { token: 'x' } };
  redactForDisplay(input);
  assert.equal(input.a.token, 'x');
  let deep: Record<string, unknown> = {};
  const root = deep;
  for (let i = 0; i < 100; i += 1) {
    deep.next = {};
    deep = deep.next as Record<string, unknown>;
  }
  assert.match(JSON.stringify(redactForDisplay(root)), /\[too deep\]/);
});

test('a key named __proto__ stays a plain property of the copy, its contents redacted', () => {
  const input = JSON.parse('{"__proto__": {"token": "xoxb-1-2-PROTOSECRET", "note": "see xoxp-3-4-PROTOSECRET"}, "ok": 1}') as Record<string, unknown>;
  const out = redactForDisplay(input) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(out), Object.prototype, 'the prototype is not replaced');
  assert.ok(Object.hasOwn(out, '__proto__'), 'the key is kept');
  assert.equal((out as { token?: unknown }).token, undefined, 'its fields are not inherited by the copy');
  assert.equal(JSON.stringify(out), '{"__proto__":{"token":"[redacted]","note":"see [redacted]"},"ok":1}');
});
