import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '@socketworks/runtime';
import { appEnvironment, loadWorkerConfig } from './config';

const TOKEN = 'xoxb-0000000001-0000000001-configtestconfigtest';

function configError(env: Record<string, string>): ConfigError {
  try {
    loadWorkerConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a ConfigError');
}

test('defaults: every documented default applies and the result is frozen', () => {
  const config = loadWorkerConfig({ SLACK_BOT_TOKEN: TOKEN });
  assert.deepEqual(JSON.parse(JSON.stringify(config)), {
    SLACK_BOT_TOKEN: TOKEN,
    SLACK_INSTALLATION_STORE: 'token',
    SLACK_API_URL: 'https://slack.com/api/',
    REDIS_URL: 'redis://127.0.0.1:6379',
    REDIS_CLUSTER: false,
    QUEUE_PREFIX: 'socketworks',
    APP_MODULE: '@socketworks/example-app',
    LOG_LEVEL: 'info',
    METRICS_PORT: 9092,
    METRICS_HOST: '0.0.0.0',
    WORKER_QUEUES: [
      { name: 'events', concurrency: 32 },
      { name: 'interactive', concurrency: 16 },
      { name: 'commands', concurrency: 16 },
      { name: 'sync', concurrency: 16 },
    ],
    WORKER_LOCK_DURATION_MS: 30000,
    WORKER_MAX_STALLED_COUNT: 2,
    WORKER_STALLED_INTERVAL_MS: 30000,
    QUEUE_DEDUPE_WINDOW_SECONDS: 3600,
    WORKER_SHUTDOWN_TIMEOUT_MS: 25000,
    WORKER_NICE: 0,
  });
  assert.ok(Object.isFrozen(config));
  assert.ok(Object.isFrozen(config.WORKER_QUEUES[0]));
});

test('WORKER_QUEUES: the sync lane is served like any queue', () => {
  const config = loadWorkerConfig({ SLACK_BOT_TOKEN: TOKEN, WORKER_QUEUES: 'sync:4,interactive:2' });
  assert.deepEqual(JSON.parse(JSON.stringify(config.WORKER_QUEUES)), [
    { name: 'sync', concurrency: 4 },
    { name: 'interactive', concurrency: 2 },
  ]);
});

test('WORKER_QUEUES: a subset, with or without concurrency; SLACK_API_URL gets its trailing slash', () => {
  const config = loadWorkerConfig({ SLACK_BOT_TOKEN: TOKEN, WORKER_QUEUES: ' interactive:4 , events ', SLACK_API_URL: 'http://127.0.0.1:9/api' });
  assert.deepEqual(JSON.parse(JSON.stringify(config.WORKER_QUEUES)), [
    { name: 'interactive', concurrency: 4 },
    { name: 'events', concurrency: 8 },
  ]);
  assert.equal(config.SLACK_API_URL, 'http://127.0.0.1:9/api/');
});

test('WORKER_QUEUES problems are named per entry: unknown queue, bad or zero concurrency, duplicates', () => {
  const problems = (value: string) => configError({ SLACK_BOT_TOKEN: TOKEN, WORKER_QUEUES: value }).problems.map((p) => `${p.variable} ${p.problem}`);
  assert.deepEqual(problems('events,mystery:2'), ['WORKER_QUEUES entry 2: must be a queue name (events, interactive, commands, sync), optionally :concurrency']);
  assert.deepEqual(problems('events:many'), ['WORKER_QUEUES entry 1: concurrency must be a whole number']);
  assert.deepEqual(problems('events:0'), ['WORKER_QUEUES entry 1: concurrency must be between 1 and 1000']);
  assert.deepEqual(problems('events:1,events:2'), ['WORKER_QUEUES entry 2: a queue is listed twice']);
});

test('a missing SLACK_BOT_TOKEN is named with the problem', () => {
  const err = configError({});
  assert.equal(err.code, 'ERR_CONFIG_INVALID');
  assert.deepEqual(err.problems, [{ variable: 'SLACK_BOT_TOKEN', problem: 'is required (unless SLACK_INSTALLATION_STORE=redis)' }]);
});

test('SLACK_INSTALLATION_STORE=redis: no SLACK_BOT_TOKEN needed; a missing token is reported with the other problems', () => {
  const config = loadWorkerConfig({ SLACK_INSTALLATION_STORE: 'redis' });
  assert.equal(config.SLACK_INSTALLATION_STORE, 'redis');
  assert.equal(config.SLACK_BOT_TOKEN, undefined);
  assert.deepEqual(configError({ SLACK_INSTALLATION_STORE: 'vault' }).problems.map((p) => p.variable).sort(), ['SLACK_BOT_TOKEN', 'SLACK_INSTALLATION_STORE']);
  assert.deepEqual(configError({ WORKER_STALLED_INTERVAL_MS: '10' }).problems, [
    { variable: 'SLACK_BOT_TOKEN', problem: 'is required (unless SLACK_INSTALLATION_STORE=redis)' },
    { variable: 'WORKER_STALLED_INTERVAL_MS', problem: 'must be at least 1000' },
  ]);
});

test('malformed values are named, never echoed', () => {
  const appToken = 'xapp-1-A0000001-0000000001-not-a-bot-token-secret';
  const err = configError({
    SLACK_BOT_TOKEN: appToken,
    REDIS_URL: 'http://user:hunter2@host',
    WORKER_LOCK_DURATION_MS: '100',
    WORKER_MAX_STALLED_COUNT: '-1',
    METRICS_PORT: '70000',
    WORKER_NICE: '-5',
  });
  assert.deepEqual(err.problems.map((p) => p.variable).sort(), [
    'METRICS_PORT',
    'REDIS_URL',
    'SLACK_BOT_TOKEN',
    'WORKER_LOCK_DURATION_MS',
    'WORKER_MAX_STALLED_COUNT',
    'WORKER_NICE',
  ]);
  assert.equal(configError({ SLACK_BOT_TOKEN: TOKEN, WORKER_NICE: '20' }).problems[0]?.variable, 'WORKER_NICE');
  assert.equal(loadWorkerConfig({ SLACK_BOT_TOKEN: TOKEN, WORKER_NICE: '10' }).WORKER_NICE, 10);
  assert.ok(!err.message.includes(appToken) && !err.message.includes('hunter2'), err.message);
  assert.match(err.message, /SLACK_BOT_TOKEN must be a Slack token starting with xoxb-/);
});

test("the app's environment is a frozen copy without the worker's secrets", () => {
  const appEnv = appEnvironment({ SLACK_BOT_TOKEN: TOKEN, REDIS_URL: 'redis://:pw@h', SLACK_SIGNING_SECRET: 's', EXAMPLE_APP_FAIL: 'off', HOME: '/root' });
  assert.deepEqual({ ...appEnv }, { EXAMPLE_APP_FAIL: 'off', HOME: '/root' });
  assert.ok(Object.isFrozen(appEnv));
});
