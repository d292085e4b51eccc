import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freePort } from '@socketworks/testing';
import { loadConnectorConfig } from './config';
import { startConnector } from './connector';
import { captureLogs } from './test-support/log-capture';
import { TEST_APP_TOKEN } from './test-support/harness';

test('Redis unreachable at start: startConnector fails with ERR_CONNECTOR_REDIS_UNAVAILABLE and holds nothing open', async () => {
  const port = await freePort();
  const redisUrl = `redis://user:pw-not-logged@127.0.0.1:${port}`;
  const logs = captureLogs();
  const config = loadConnectorConfig({
    SLACK_APP_TOKEN: TEST_APP_TOKEN,
    SLACK_API_URL: 'http://127.0.0.1:1/api/',
    REDIS_URL: redisUrl,
    METRICS_PORT: '0',
    METRICS_HOST: '127.0.0.1',
  });
  const started = Date.now();
  await assert.rejects(startConnector(config, { logger: logs.logger, redisStartupTimeoutMs: 300 }), (err: unknown) => {
    const e = err as { code?: string; message: string };
    assert.equal(e.code, 'ERR_CONNECTOR_REDIS_UNAVAILABLE');
    assert.match(e.message, /REDIS_URL/);
    assert.ok(!e.message.includes('pw-not-logged'));
    return true;
  });
  assert.ok(Date.now() - started < 3000);
  assert.ok(!logs.raw.some((l) => l.includes('pw-not-logged')), 'the Redis password is never logged');
  // The test process exiting on its own (no open handle) is the rest of the assertion.
});
