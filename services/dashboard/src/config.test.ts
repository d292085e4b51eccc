import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '@socketworks/runtime';
import { configSecrets, isLoopbackHost, loadDashboardConfig } from './config';

const problemsOf = (env: Record<string, string>): string => {
  try {
    loadDashboardConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, 'a ConfigError');
    assert.equal(err.code, 'ERR_CONFIG_INVALID');
    return err.message;
  }
  assert.fail('the configuration was accepted');
};

test('defaults: port 3030 on all interfaces, writable, the socketworks prefix', () => {
  const config = loadDashboardConfig({ DASHBOARD_USER: 'ops', DASHBOARD_PASSWORD: 'long-enough-pw' });
  assert.equal(config.port, 3030);
  assert.equal(config.host, '0.0.0.0');
  assert.equal(config.readOnly, false);
  assert.equal(config.queuePrefix, 'socketworks');
  assert.equal(config.redisUrl, 'redis://127.0.0.1:6379');
  assert.deepEqual(config.auth, { open: false, basic: { user: 'ops', password: 'long-enough-pw' }, bearerToken: undefined });
  assert.ok(Object.isFrozen(config.auth));
});

test('without credentials it refuses, naming every variable that would do', () => {
  const message = problemsOf({});
  for (const variable of ['DASHBOARD_USER', 'DASHBOARD_PASSWORD', 'DASHBOARD_TOKEN', 'DASHBOARD_OPEN']) assert.match(message, new RegExp(variable));
});

test('DASHBOARD_OPEN is refused on a non-loopback host and accepted on loopback', () => {
  for (const host of ['0.0.0.0', '::', '10.1.2.3', 'dashboard.internal']) {
    const message = problemsOf({ DASHBOARD_OPEN: 'true', DASHBOARD_HOST: host });
    assert.match(message, /DASHBOARD_OPEN is allowed only with a loopback DASHBOARD_HOST/);
  }
  for (const host of ['127.0.0.1', '::1', 'localhost']) {
    assert.equal(loadDashboardConfig({ DASHBOARD_OPEN: 'true', DASHBOARD_HOST: host }).auth.open, true);
  }
  // The default host is 0.0.0.0, so OPEN alone is refused too.
  assert.match(problemsOf({ DASHBOARD_OPEN: 'true' }), /loopback/);
});

test('half a Basic pair, short secrets and contradictory modes are refused, without echoing values', () => {
  assert.match(problemsOf({ DASHBOARD_USER: 'ops' }), /DASHBOARD_PASSWORD is required when DASHBOARD_USER is set/);
  assert.match(problemsOf({ DASHBOARD_PASSWORD: 'long-enough-pw' }), /DASHBOARD_USER is required/);
  const short = problemsOf({ DASHBOARD_USER: 'ops', DASHBOARD_PASSWORD: 'short7!' });
  assert.match(short, /DASHBOARD_PASSWORD must be at least 8 characters/);
  assert.doesNotMatch(short, /short7!/);
  assert.match(problemsOf({ DASHBOARD_TOKEN: 'too-short' }), /DASHBOARD_TOKEN must be at least 16 characters/);
  assert.match(problemsOf({ DASHBOARD_USER: 'a:b', DASHBOARD_PASSWORD: 'long-enough-pw' }), /must not contain ":"/);
  assert.match(
    problemsOf({ DASHBOARD_OPEN: 'true', DASHBOARD_HOST: '127.0.0.1', DASHBOARD_TOKEN: 'a-token-of-twenty-chars' }),
    /cannot be combined/,
  );
  assert.match(problemsOf({ DASHBOARD_USER: 'ops', DASHBOARD_PASSWORD: 'long-enough-pw', DASHBOARD_READ_ONLY: 'maybe' }), /DASHBOARD_READ_ONLY must be one of: true, false/);
});

test('a bearer token alone is enough, and both secrets go to the logger', () => {
  const config = loadDashboardConfig({ DASHBOARD_TOKEN: 'a-token-of-twenty-chars', DASHBOARD_READ_ONLY: 'true' });
  assert.equal(config.auth.basic, undefined);
  assert.equal(config.readOnly, true);
  assert.deepEqual(configSecrets(config), ['a-token-of-twenty-chars']);
  const both = loadDashboardConfig({ DASHBOARD_USER: 'ops', DASHBOARD_PASSWORD: 'long-enough-pw', DASHBOARD_TOKEN: 'a-token-of-twenty-chars' });
  assert.deepEqual(configSecrets(both), ['long-enough-pw', 'a-token-of-twenty-chars']);
});

test('loopback hosts', () => {
  assert.equal(isLoopbackHost('127.0.0.1'), true);
  assert.equal(isLoopbackHost('127.5.0.9'), true);
  assert.equal(isLoopbackHost('::1'), true);
  assert.equal(isLoopbackHost('localhost'), true);
  assert.equal(isLoopbackHost('0.0.0.0'), false);
  assert.equal(isLoopbackHost('127.0.0.1.example.com'), false);
});
