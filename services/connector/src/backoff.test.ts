import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelayMs, jitteredAtLeast } from './backoff';

test('back-off doubles from the base, stays under the cap, and jitter keeps it in [floor, 1] of the step', () => {
  const opts = { baseMs: 100, capMs: 1000 };
  assert.equal(backoffDelayMs(1, { ...opts, random: () => 1 }), 100);
  assert.equal(backoffDelayMs(3, { ...opts, random: () => 1 }), 400);
  assert.equal(backoffDelayMs(50, { ...opts, random: () => 1 }), 1000);
  assert.equal(backoffDelayMs(50, { ...opts, random: () => 0 }), 500);
  for (let i = 0; i < 200; i++) {
    const d = backoffDelayMs(1 + (i % 12), opts);
    assert.ok(d >= 50 && d <= 1000, String(d));
  }
});

test('too_many_websockets delay is never under the minimum', () => {
  assert.equal(jitteredAtLeast(60000, 0.5, () => 0), 60000);
  assert.equal(jitteredAtLeast(60000, 0.5, () => 1), 90000);
  for (let i = 0; i < 100; i++) assert.ok(jitteredAtLeast(60000) >= 60000);
});
