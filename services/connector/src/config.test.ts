import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '@socketworks/runtime';
import { loadConnectorConfig } from './config';

const TOKEN = 'xapp-1-A0000001-0000000001-configtestconfigtest';

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConnectorConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a ConfigError');
}

test('defaults: every documented default applies and the result is frozen', () => {
  const config = loadConnectorConfig({ SLACK_APP_TOKEN: TOKEN });
  assert.deepEqual(
    { ...config },
    {
      SLACK_APP_TOKEN: TOKEN,
      SLACK_API_URL: 'https://slack.com/api/',
      REDIS_URL: 'redis://127.0.0.1:6379',
      REDIS_CLUSTER: false,
      QUEUE_PREFIX: 'socketworks',
      LOG_LEVEL: 'info',
      METRICS_PORT: 9091,
      METRICS_HOST: '0.0.0.0',
      SLACK_CONNECTIONS: 2,
      SLACK_MAX_FRAME_BYTES: 1024 * 1024,
      QUEUE_DEDUPE_WINDOW_SECONDS: 3600,
      CONNECTOR_ENQUEUE_TIMEOUT_MS: 1500,
      CONNECTOR_SHUTDOWN_TIMEOUT_MS: 10000,
      SYNC_ACK_BUDGET_MS: 2000,
      SLACK_DELIVERY: 'socket',
      HTTP_PORT: 3000,
      HTTP_HOST: '0.0.0.0',
      HTTP_MAX_BODY_BYTES: 1024 * 1024,
      CONNECTOR_LEASE_TTL_MS: 5000,
      CONNECTOR_UNLEASED_SOCKET_MAX_MS: 60000,
    },
  );
  assert.ok(Object.isFrozen(config));
});

test('SLACK_DELIVERY: http needs SLACK_SIGNING_SECRET and no app token; socket needs the app token; an unknown value is named', () => {
  assert.deepEqual(configError({ SLACK_DELIVERY: 'http' }).problems, [{ variable: 'SLACK_SIGNING_SECRET', problem: 'is required when SLACK_DELIVERY is http' }]);
  assert.deepEqual(configError({ SLACK_APP_TOKEN: TOKEN, SLACK_DELIVERY: 'both' }).problems, [
    { variable: 'SLACK_SIGNING_SECRET', problem: 'is required when SLACK_DELIVERY is both' },
  ]);
  const http = loadConnectorConfig({ SLACK_DELIVERY: 'http', SLACK_SIGNING_SECRET: 'fakeSigningSecret0000000000000001' });
  assert.equal(http.SLACK_APP_TOKEN, undefined);
  assert.deepEqual(configError({ SLACK_DELIVERY: 'socket' }).problems, [{ variable: 'SLACK_APP_TOKEN', problem: 'is required' }]);
  assert.deepEqual(configError({ SLACK_APP_TOKEN: TOKEN, SLACK_DELIVERY: 'carrier-pigeon' }).problems, [{ variable: 'SLACK_DELIVERY', problem: 'must be one of: socket, http, both' }]);
  assert.deepEqual(configError({ SLACK_APP_TOKEN: TOKEN, CONNECTOR_LEASE_TTL_MS: '100' }).problems.map((p) => p.variable), ['CONNECTOR_LEASE_TTL_MS']);
});

test('SYNC_ACK_BUDGET_MS: 0 turns waiting off; past 2800 ms (too close to Slack\'s 3 s) is refused', () => {
  assert.equal(loadConnectorConfig({ SLACK_APP_TOKEN: TOKEN, SYNC_ACK_BUDGET_MS: '0' }).SYNC_ACK_BUDGET_MS, 0);
  assert.deepEqual(
    configError({ SLACK_APP_TOKEN: TOKEN, SYNC_ACK_BUDGET_MS: '3000' }).problems.map((p) => p.variable),
    ['SYNC_ACK_BUDGET_MS'],
  );
});

test('a missing SLACK_APP_TOKEN is named with the problem', () => {
  const err = configError({});
  assert.equal(err.code, 'ERR_CONFIG_INVALID');
  assert.deepEqual(err.problems, [{ variable: 'SLACK_APP_TOKEN', problem: 'is required' }]);
});

test('a malformed value is named, never echoed', () => {
  const badToken = 'xoxb-1-not-an-app-level-token-secret';
  const err = configError({ SLACK_APP_TOKEN: badToken, REDIS_URL: 'http://user:hunter2@host', SLACK_CONNECTIONS: '10' });
  const variables = err.problems.map((p) => p.variable).sort();
  assert.deepEqual(variables, ['REDIS_URL', 'SLACK_APP_TOKEN', 'SLACK_CONNECTIONS']);
  assert.ok(!err.message.includes(badToken) && !err.message.includes('hunter2'), err.message);
  assert.match(err.message, /SLACK_APP_TOKEN must be a Slack token starting with xapp-/);
  assert.match(err.message, /SLACK_CONNECTIONS must be at most 9/);
});

test('numeric bounds: 0 sockets, a sub-10-minute dedupe window and an enqueue timeout past the ack deadline are refused', () => {
  const err = configError({
    SLACK_APP_TOKEN: TOKEN,
    SLACK_CONNECTIONS: '0',
    QUEUE_DEDUPE_WINDOW_SECONDS: '60',
    CONNECTOR_ENQUEUE_TIMEOUT_MS: '3000',
    METRICS_PORT: 'abc',
  });
  assert.deepEqual(err.problems.map((p) => p.variable).sort(), [
    'CONNECTOR_ENQUEUE_TIMEOUT_MS',
    'METRICS_PORT',
    'QUEUE_DEDUPE_WINDOW_SECONDS',
    'SLACK_CONNECTIONS',
  ]);
});
