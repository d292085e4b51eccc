// Rate-limit windows on their own, with call times given: a 429 keeps refusing its method until
// Retry-After has passed, calls inside the window are early and open nothing, `count` counts windows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimiter, WINDOW_SLACK_MS } from './rate-limiter';

const T0 = 1_000_000;

test('a 429 refuses its method for Retry-After: early calls get the seconds left (rounded up, at least 1); count counts windows', () => {
  const limiter = new RateLimiter();
  limiter.set({ method: 'chat.postMessage', count: 2, retryAfterSeconds: 7 });
  assert.equal(limiter.take('auth.test', T0), undefined, 'another method is not limited');
  assert.deepEqual(limiter.take('chat.postMessage', T0), { retryAfterSeconds: 7, early: false });
  assert.deepEqual(limiter.take('chat.postMessage', T0 + 10), { retryAfterSeconds: 7, early: true });
  assert.deepEqual(limiter.take('chat.postMessage', T0 + 5500), { retryAfterSeconds: 2, early: true });
  assert.deepEqual(limiter.take('chat.postMessage', T0 + 6999 - WINDOW_SLACK_MS), { retryAfterSeconds: 1, early: true });
  // On time: the second window opens where the call came.
  const t1 = T0 + 7000;
  assert.deepEqual(limiter.take('chat.postMessage', t1), { retryAfterSeconds: 7, early: false });
  assert.deepEqual(limiter.take('chat.postMessage', t1 + 6000), { retryAfterSeconds: 1, early: true });
  assert.equal(limiter.take('chat.postMessage', t1 + 7000), undefined, 'both windows used and over');
  assert.equal(limiter.take('chat.postMessage', t1 + 7001), undefined);
});

test('a retry timed to the millisecond is on time: the few ms of clock slack count as the window over', () => {
  const limiter = new RateLimiter();
  limiter.set({ method: 'chat.postMessage', count: 1, retryAfterSeconds: 1 });
  assert.equal(limiter.take('chat.postMessage', T0)?.early, false);
  assert.equal(limiter.take('chat.postMessage', T0 + 1000 - WINDOW_SLACK_MS - 1)?.early, true);
  assert.equal(limiter.take('chat.postMessage', T0 + 1000 - WINDOW_SLACK_MS), undefined);
});

test("'*' limits each method in its own window; the windows share count", () => {
  const limiter = new RateLimiter();
  limiter.set({ method: '*', count: 2, retryAfterSeconds: 3 });
  assert.equal(limiter.take('auth.test', T0)?.early, false);
  assert.equal(limiter.take('chat.postMessage', T0 + 100)?.early, false, 'its own window: a fresh 429');
  assert.equal(limiter.take('auth.test', T0 + 200)?.early, true);
  assert.equal(limiter.take('views.open', T0 + 300), undefined, 'both windows used: a third method goes through');
  assert.equal(limiter.take('chat.postMessage', T0 + 3000)?.early, true, 'its window lasts from its own 429');
  assert.equal(limiter.take('chat.postMessage', T0 + 3100), undefined);
});

test('Retry-After 0 opens no window: the next count calls get 429, then calls go through', () => {
  const limiter = new RateLimiter();
  limiter.set({ method: 'auth.test', count: 2, retryAfterSeconds: 0 });
  assert.deepEqual(limiter.take('auth.test', T0), { retryAfterSeconds: 0, early: false });
  assert.deepEqual(limiter.take('auth.test', T0), { retryAfterSeconds: 0, early: false });
  assert.equal(limiter.take('auth.test', T0), undefined);
});

test('a new rule replaces the old one and its open windows; null clears them', () => {
  const limiter = new RateLimiter();
  limiter.set({ method: 'auth.test', count: 1, retryAfterSeconds: 30 });
  assert.equal(limiter.take('auth.test', T0)?.early, false);
  limiter.set({ method: 'auth.test', count: 1, retryAfterSeconds: 2 });
  assert.deepEqual(limiter.take('auth.test', T0 + 1), { retryAfterSeconds: 2, early: false }, 'a fresh window of the new rule');
  limiter.set(null);
  assert.equal(limiter.take('auth.test', T0 + 2), undefined);
  limiter.set({ method: 'auth.test', count: 0, retryAfterSeconds: 2 });
  assert.equal(limiter.take('auth.test', T0 + 3), undefined, 'count 0 is no rule');
});
