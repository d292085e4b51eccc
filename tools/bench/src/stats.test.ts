import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bucketize, loopDelayMs, median, percentile, percentileSorted, summarize } from './stats';

test('percentile is nearest-rank: p50 of 1..10 is 5, p99 is 10, p0 is the minimum', () => {
  const values = [10, 3, 7, 1, 9, 2, 8, 4, 6, 5];
  assert.equal(percentile(values, 0.5), 5);
  assert.equal(percentile(values, 0.99), 10);
  assert.equal(percentile(values, 0.9), 9);
  assert.equal(percentile(values, 0), 1);
  assert.equal(percentileSorted([], 0.5), 0);
});

test('p99 of 1,000 values is the 990th smallest, and one outlier in 100 does not move it', () => {
  const values = Array.from({ length: 1000 }, (_, i) => i + 1);
  assert.equal(percentile(values, 0.99), 990);
  const mostlyFast = [...Array.from({ length: 99 }, () => 1), 500];
  assert.equal(percentile(mostlyFast, 0.99), 1);
  assert.equal(summarize(mostlyFast).max, 500);
});

test('summarize rounds to 0.01 ms, keeps the input order, and is all zeros for no samples', () => {
  const values = [0.123456, 2.5, 1];
  assert.deepEqual(summarize(values), { count: 3, p50: 1, p99: 2.5, max: 2.5 });
  assert.deepEqual(values, [0.123456, 2.5, 1]);
  assert.deepEqual(summarize([]), { count: 0, p50: 0, p99: 0, max: 0 });
  assert.equal(summarize([0.126]).p50, 0.13);
});

test('bucketize keeps empty buckets as gaps (n = 0) up to the last sample or untilMs', () => {
  const buckets = bucketize([10, 20, 600, 610], [1, 3, 5, 7], 250);
  assert.equal(buckets.length, 3);
  assert.deepEqual(buckets.map((b) => [b.t, b.n]), [[0, 2], [250, 0], [500, 2]]);
  assert.equal(buckets[0]!.max, 3);
  assert.equal(buckets[2]!.p50, 5);
  assert.equal(bucketize([10], [1], 250, 1000).length, 5);
  assert.equal(bucketize([-5], [1], 250, 0)[0]!.n, 0);
  assert.throws(() => bucketize([1], [], 250), RangeError);
});

test('event-loop delay drops the 10 ms sampling interval an idle loop reads', () => {
  assert.equal(loopDelayMs(10_100_000), 0.1);
  assert.equal(loopDelayMs(5_000_000), 0);
  assert.equal(loopDelayMs(35_000_000), 25);
  assert.ok(Number.isNaN(loopDelayMs(NaN)));
});

test('median of odd and even lists', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 2, 3]), 2.5);
  assert.equal(median([]), 0);
});
