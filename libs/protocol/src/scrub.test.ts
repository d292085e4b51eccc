import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scrubPayload } from './scrub';

test('secret keys go at any depth, inside objects and arrays, and nothing else changes', () => {
  const payload = {
    token: 'verification',
    team_id: 'T1',
    event: { type: 'app_mention', blocks: [{ type: 'rich_text', elements: [{ app_token: 'x', text: 'hi' }] }], client_secret: 's' },
    authorizations: [{ team_id: 'T1', bot_access_token: 'b' }, { team_id: 'T2' }],
    after: 1,
  };
  assert.deepEqual(scrubPayload(payload), {
    team_id: 'T1',
    event: { type: 'app_mention', blocks: [{ type: 'rich_text', elements: [{ text: 'hi' }] }] },
    authorizations: [{ team_id: 'T1' }, { team_id: 'T2' }],
    after: 1,
  });
});

test('the input is never modified; parts without a secret are shared, parts with one are copies', () => {
  const clean = { type: 'message', blocks: [{ text: 'x' }] };
  const dirty = { user: 'U1', token: 't' };
  const payload = { token: 'verification', event: clean, list: [clean, dirty], nested: { dirty } };
  const before = structuredClone(payload);
  const out = scrubPayload(payload);
  assert.deepEqual(payload, before, 'input unchanged');
  assert.notEqual(out, payload);
  assert.equal(out.event, clean, 'an object without secrets is shared');
  assert.notEqual(out.list, payload.list);
  assert.equal(out.list[0], clean);
  assert.deepEqual(out.list[1], { user: 'U1' });
  assert.deepEqual(out.nested, { dirty: { user: 'U1' } });
});

test('a payload without any secret comes back as it is; key order is kept when copying', () => {
  const payload = { a: 1, b: [{ c: 2 }], d: null };
  assert.equal(scrubPayload(payload), payload);
  assert.deepEqual(Object.keys(scrubPayload({ a: 1, token: 't', b: 2, c: { token: 'u', d: 3 } })), ['a', 'b', 'c']);
});

test('a __proto__ key is kept as data in a scrubbed copy and does not become its prototype', () => {
  // JSON.parse makes "__proto__" an own key; plain assignment into the copy would set the copy's
  // prototype instead, losing the key from the stored job and lending `x` to every lookup.
  const payload = JSON.parse('{"a":1,"__proto__":{"x":1},"token":"s","inner":{"__proto__":{"y":2},"client_secret":"c"}}') as Record<string, unknown>;
  const out = scrubPayload(payload);
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
  assert.equal((out as { x?: unknown }).x, undefined);
  assert.deepEqual(Object.keys(out), ['a', '__proto__', 'inner']);
  assert.equal(JSON.stringify(out), '{"a":1,"__proto__":{"x":1},"inner":{"__proto__":{"y":2}}}');
  const inner = out.inner as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(inner), Object.prototype);
  // Written after the first change too (the key copied before the secret, and one after it).
  const after = scrubPayload(JSON.parse('{"token":"s","__proto__":{"z":3}}') as Record<string, unknown>);
  assert.equal(JSON.stringify(after), '{"__proto__":{"z":3}}');
  assert.equal(Object.getPrototypeOf(after), Object.prototype);
});
