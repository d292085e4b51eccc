import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '@socketworks/runtime';
import { configSchema } from './config';

test('defaults', () => {
  const config = loadConfig(configSchema, {});
  assert.equal(config.SIM_PORT, 3999);
  assert.equal(config.SIM_HOST, '127.0.0.1');
  assert.equal(config.SIM_REDELIVERY_TIMEOUT_MS, 3000);
  assert.equal(config.SIM_MAX_RECORDS, 100000);
  assert.equal(config.SLACK_APP_TOKEN, undefined);
  assert.equal(config.SLACK_BOT_TOKEN, undefined);
  assert.equal(config.SIM_PUBLIC_URL, undefined);
  assert.equal(config.LOG_LEVEL, 'info');
});

test('values are parsed; empty means unset; port 0 is allowed', () => {
  const config = loadConfig(configSchema, {
    SIM_PORT: '0',
    SIM_REDELIVERY_TIMEOUT_MS: '250',
    SLACK_APP_TOKEN: 'xapp-1-A1-123-abcdef',
    SLACK_BOT_TOKEN: '',
    SIM_PUBLIC_URL: 'http://slack-sim:3999',
    LOG_LEVEL: 'debug',
  });
  assert.equal(config.SIM_PORT, 0);
  assert.equal(config.SIM_REDELIVERY_TIMEOUT_MS, 250);
  assert.equal(config.SLACK_APP_TOKEN, 'xapp-1-A1-123-abcdef');
  assert.equal(config.SLACK_BOT_TOKEN, undefined);
  assert.equal(config.SIM_PUBLIC_URL, 'http://slack-sim:3999');
});

test('bad values name the variable and never echo the value', () => {
  const cases: Array<[Record<string, string>, string]> = [
    [{ SIM_PORT: 'abc' }, 'SIM_PORT'],
    [{ SIM_PORT: '70000' }, 'SIM_PORT'],
    [{ SIM_REDELIVERY_TIMEOUT_MS: '0' }, 'SIM_REDELIVERY_TIMEOUT_MS'],
    [{ SIM_MAX_RECORDS: '1.5' }, 'SIM_MAX_RECORDS'],
    [{ SLACK_APP_TOKEN: 'xoxb-not-an-app-token' }, 'SLACK_APP_TOKEN'],
    [{ SLACK_BOT_TOKEN: 'secret-value-123' }, 'SLACK_BOT_TOKEN'],
    [{ SIM_PUBLIC_URL: 'ftp://x' }, 'SIM_PUBLIC_URL'],
  ];
  for (const [env, variable] of cases) {
    assert.throws(
      () => loadConfig(configSchema, env),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.deepEqual(err.problems.map((p) => p.variable), [variable]);
        for (const value of Object.values(env)) assert.ok(!err.message.includes(value), `${variable} value leaked: ${err.message}`);
        return true;
      },
    );
  }
});
