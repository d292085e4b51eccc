import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, Registry } from '@socketworks/runtime';
import { sample } from '@socketworks/testing';
import { createDashboardMetrics } from './dashboard-metrics';

/** Redis down, as QueueStats answers then: every reading fails, and the callers of one scrape share it. */
function failingStats() {
  let reading: Promise<never> | undefined;
  return {
    snapshot: () =>
      (reading ??= Promise.reject(new Error('Redis is not connected')).finally(() => {
        reading = undefined;
      })),
  };
}

test('a failed reading of the queues is counted in the scrape that saw it, not the next one', async () => {
  const registry = new Registry();
  createDashboardMetrics(registry, failingStats(), createLogger({ name: 'dashboard', level: 'silent' }));
  for (const failures of [1, 2]) {
    const text = await registry.metrics();
    assert.equal(sample(text, 'socketworks_dashboard_redis_up'), 0);
    assert.equal(sample(text, 'socketworks_dashboard_queue_read_errors_total'), failures);
  }
});
