// The built dashboard as the real process an operator runs (services/dashboard/dist/main.js):
// how it refuses to start, what it logs, and that SIGTERM stops it cleanly.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { join } from 'node:path';
import { bullPrefix } from '@socketworks/protocol';
import { deleteKeys, getTestRedisUrl, spawnService, uniquePrefix } from '@socketworks/testing';
import { basicAuth, sample } from './test-support/harness';

const ENTRY = join(__dirname, '../dist/main.js');
const PASSWORD = 'process-test-password-91d';
const TOKEN = 'process-test-token-5b27c0e4';

let redisUrl: string;
const prefix = uniquePrefix('dash-proc');
before(async () => {
  redisUrl = await getTestRedisUrl();
});
after(async () => {
  await deleteKeys(redisUrl, `${bullPrefix(prefix)}:*`);
});

async function exitOf(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const proc = spawnService({ name: 'dashboard', entry: ENTRY, env: { REDIS_URL: redisUrl, QUEUE_PREFIX: prefix, DASHBOARD_PORT: '0', ...env } });
  const [code] = (await once(proc.child, 'exit')) as [number | null];
  return { code, output: proc.output() };
}

test('without credentials it exits 1 naming the variables to set', async () => {
  const { code, output } = await exitOf({});
  assert.equal(code, 1);
  for (const variable of ['DASHBOARD_USER', 'DASHBOARD_PASSWORD', 'DASHBOARD_TOKEN', 'DASHBOARD_OPEN']) assert.match(output, new RegExp(variable));
});

test('DASHBOARD_OPEN on 0.0.0.0 exits 1; a password too short exits 1 without echoing it', async () => {
  const open = await exitOf({ DASHBOARD_OPEN: 'true', DASHBOARD_HOST: '0.0.0.0' });
  assert.equal(open.code, 1);
  assert.match(open.output, /DASHBOARD_OPEN is allowed only with a loopback DASHBOARD_HOST/);
  const short = await exitOf({ DASHBOARD_USER: 'ops', DASHBOARD_PASSWORD: 'pw-7chr' });
  assert.equal(short.code, 1);
  assert.match(short.output, /DASHBOARD_PASSWORD must be at least 8 characters/);
  assert.ok(!short.output.includes('pw-7chr'));
});

test('with credentials it listens, logs the real port, serves behind auth, never logs a secret, and exits 0 on SIGTERM', async () => {
  const proc = spawnService({
    name: 'dashboard',
    entry: ENTRY,
    env: {
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: prefix,
      DASHBOARD_PORT: '0',
      DASHBOARD_HOST: '127.0.0.1',
      DASHBOARD_USER: 'ops',
      DASHBOARD_PASSWORD: PASSWORD,
      DASHBOARD_TOKEN: TOKEN,
      LOG_LEVEL: 'debug',
    },
  });
  try {
    const line = await proc.waitForLog((l) => l.msg === 'dashboard listening', { timeoutMs: 15000 });
    const port = line.port as number;
    assert.ok(port > 0);
    assert.equal(line.url, `http://127.0.0.1:${port}/`);
    const url = `http://127.0.0.1:${port}`;
    assert.equal((await fetch(`${url}/healthz`)).status, 200);
    assert.equal((await fetch(`${url}/readyz`)).status, 200);
    const refused = await fetch(`${url}/queues`, { headers: { authorization: basicAuth('ops', 'not-the-password') } });
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get('www-authenticate'), 'Basic realm="Socketworks", Bearer realm="Socketworks"');
    assert.equal((await fetch(`${url}/queues`, { headers: { authorization: basicAuth('ops', PASSWORD) } })).status, 200);
    assert.equal((await fetch(`${url}/api/queues`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.equal(sample(metrics, 'socketworks_queue_waiting', { queue: 'events', service: 'dashboard' }), 0);
    assert.ok(sample(metrics, 'socketworks_process_resident_memory_bytes') !== undefined, 'process metrics too');
  } finally {
    const code = await proc.stop('SIGTERM');
    assert.equal(code, 0);
  }
  assert.ok(proc.logs.some((l) => l.msg === 'stopped'));
  const output = proc.output();
  for (const secret of [PASSWORD, TOKEN, 'not-the-password', redisUrl]) assert.ok(!output.includes(secret), `the output never shows ${secret}`);
});
