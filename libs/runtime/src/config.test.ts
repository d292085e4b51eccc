import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { ConfigError, env, loadConfig } from './config';

const schema = z.object({
  REDIS_URL: env.redisUrl(),
  SLACK_APP_TOKEN: env.token('xapp-'),
  SLACK_API_URL: env.slackApiUrl(),
  HTTP_PORT: env.port(3000),
  LOG_LEVEL: env.logLevel(),
  QUEUE_PREFIX: env.queuePrefix(),
  FLAG: env.bool(false),
});

function problems(input: Record<string, string>): ConfigError {
  try {
    loadConfig(schema, input);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err;
  }
  assert.fail('expected a ConfigError');
}

test('defaults apply and the result is frozen', () => {
  const config = loadConfig(schema, { SLACK_APP_TOKEN: 'xapp-1-abcdef' });
  assert.equal(config.REDIS_URL, 'redis://127.0.0.1:6379');
  assert.equal(config.SLACK_API_URL, 'https://slack.com/api/');
  assert.equal(config.HTTP_PORT, 3000);
  assert.equal(config.QUEUE_PREFIX, 'socketworks');
  assert.equal(config.FLAG, false);
  assert.ok(Object.isFrozen(config));
});

test('empty values count as unset; URLs get a trailing slash', () => {
  const config = loadConfig(schema, { SLACK_APP_TOKEN: 'xapp-1-abcdef', HTTP_PORT: '', SLACK_API_URL: 'http://127.0.0.1:1/api' });
  assert.equal(config.HTTP_PORT, 3000);
  assert.equal(config.SLACK_API_URL, 'http://127.0.0.1:1/api/');
});

test('errors name the variable and the problem, never the value', () => {
  const secretish = 'xoxb-not-an-app-token-SECRET';
  const err = problems({ SLACK_APP_TOKEN: secretish, REDIS_URL: 'http://nope-SECRET', HTTP_PORT: 'abc-SECRET', LOG_LEVEL: 'loud-SECRET', FLAG: 'maybe-SECRET' });
  const vars = err.problems.map((p) => p.variable).sort();
  assert.deepEqual(vars, ['FLAG', 'HTTP_PORT', 'LOG_LEVEL', 'REDIS_URL', 'SLACK_APP_TOKEN']);
  assert.ok(!err.message.includes('SECRET'), err.message);
  assert.match(err.message, /SLACK_APP_TOKEN must be a Slack token starting with xapp-/);
  assert.equal(err.code, 'ERR_CONFIG_INVALID');
});

test('booleans: true/false, 1/0, yes/no in any case, spaces ignored; blank is the default; anything else is an error', () => {
  const flag = (FLAG: string) => loadConfig(schema, { SLACK_APP_TOKEN: 'xapp-1-abcdef', FLAG }).FLAG;
  for (const yes of ['true', 'TRUE', 'True', ' yes ', 'YES', '1']) assert.equal(flag(yes), true, yes);
  for (const no of ['false', 'FALSE', 'No', '0', ' ']) assert.equal(flag(no), false, no);
  assert.match(problems({ SLACK_APP_TOKEN: 'xapp-1-abcdef', FLAG: 'on' }).message, /FLAG must be one of: true, false, 1, 0, yes, no/);
});

test('a missing required variable says it is required', () => {
  const err = problems({});
  assert.deepEqual(err.problems, [{ variable: 'SLACK_APP_TOKEN', problem: 'is required' }]);
});

test('ports are bounded', () => {
  assert.match(problems({ SLACK_APP_TOKEN: 'xapp-1-abcdef', HTTP_PORT: '70000' }).message, /HTTP_PORT must be at most 65535/);
});

test('whole numbers are decimal digits only; blank counts as unset; errors name the variable', () => {
  const ints = z.object({ HTTP_PORT: env.port(3000), WORKERS: env.int({ min: 1, default: 5 }), OFFSET: env.int() });
  const load = (input: Record<string, string>) => loadConfig(ints, { OFFSET: '0', ...input });
  // Number() would read these as 0 (a random port), 80 and 1000.
  assert.equal(load({ HTTP_PORT: ' ' }).HTTP_PORT, 3000, 'blank is unset, so the default applies');
  assert.equal(load({ HTTP_PORT: '\t \n' }).HTTP_PORT, 3000);
  assert.equal(load({ HTTP_PORT: ' 8080 ', WORKERS: '7' }).HTTP_PORT, 8080, 'surrounding spaces are ignored');
  assert.equal(load({ OFFSET: '-3' }).OFFSET, -3);
  assert.equal(load({ HTTP_PORT: '0' }).HTTP_PORT, 0, 'an explicit 0 is still 0');
  for (const bad of ['0x50', '1e3', '1.5', '1.0', 'Infinity', '-Infinity', '+80', '8 0', '080a', '99999999999999999999', 'abc-SECRET']) {
    let err: unknown;
    try {
      load({ HTTP_PORT: bad });
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof ConfigError, `${bad} is refused`);
    assert.deepEqual(err.problems, [{ variable: 'HTTP_PORT', problem: 'must be a whole number in decimal digits' }], bad);
    assert.ok(!err.message.includes(bad), 'the value is not quoted');
  }
  assert.throws(() => load({ WORKERS: '0' }), /WORKERS must be at least 1/);
  assert.throws(() => loadConfig(ints, { OFFSET: ' ' }), /OFFSET is required/, 'blank counts as unset for a required variable too');
});

test('a queue prefix has both braces or neither', () => {
  const prefixes = z.object({ QUEUE_PREFIX: env.queuePrefix() });
  assert.equal(loadConfig(prefixes, { QUEUE_PREFIX: 'sw' }).QUEUE_PREFIX, 'sw');
  assert.equal(loadConfig(prefixes, { QUEUE_PREFIX: '{sw}' }).QUEUE_PREFIX, '{sw}');
  for (const bad of ['{sw', 'sw}', '{}', '{{sw}}', 's w']) {
    assert.throws(() => loadConfig(prefixes, { QUEUE_PREFIX: bad }), /QUEUE_PREFIX must be 1-64 letters/, bad);
  }
});
