// The built service as a user runs it: `node services/connector/dist/main.js`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { appMentionPayload, blockActionsPayload, SlackSim } from '@socketworks/slack-sim';
import { deleteKeys, getTestRedisUrl, sample, spawnService, uniquePrefix, waitFor, type ServiceProcess } from '@socketworks/testing';

const ENTRY = join(__dirname, '..', 'dist', 'main.js');
const TOKEN = 'xapp-1-A0000001-0000000001-mainprocessmainprocess99';

let sim: SlackSim;
let redisUrl: string;
const prefix = uniquePrefix('main');
const processes: ServiceProcess[] = [];

before(async () => {
  redisUrl = await getTestRedisUrl();
  sim = await SlackSim.start({ redeliveryTimeoutMs: 1000 });
});

after(async () => {
  await Promise.all(processes.map((p) => p.stop('SIGKILL')));
  await sim?.close();
  await deleteKeys(redisUrl, `{${prefix}}*`);
});

function spawnConnector(env: Record<string, string>): ServiceProcess {
  const proc = spawnService({ name: 'connector', entry: ENTRY, env });
  processes.push(proc);
  return proc;
}

const baseEnv = () => ({
  SLACK_APP_TOKEN: TOKEN,
  SLACK_API_URL: sim.apiUrl,
  REDIS_URL: redisUrl,
  QUEUE_PREFIX: prefix,
  METRICS_PORT: '0',
  METRICS_HOST: '127.0.0.1',
  LOG_LEVEL: 'debug',
});

test('runs envelopes through at LOG_LEVEL=debug without the token in its output; SIGTERM exits 0', { timeout: 30000 }, async () => {
  const proc = spawnConnector(baseEnv());
  await proc.waitForLog(() => proc.logs.filter((l) => l.msg === 'socket connected').length >= 2, { timeoutMs: 15000, message: 'two sockets' });
  const connected = proc.logs.filter((l) => l.msg === 'socket connected');
  for (const line of connected) {
    assert.equal(typeof line.connection_id, 'string');
    assert.equal(typeof line.slot, 'number');
    assert.equal(typeof line.num_connections, 'number');
  }
  const ops = await proc.waitForLog((l) => l.msg === 'ops server listening' && typeof l.port === 'number');

  const injected = [
    ...Array.from({ length: 5 }, (_, i) => sim.inject({ type: 'events_api', payload: appMentionPayload({ text: `<@U0000002> main ${i}` }) })),
    sim.inject({ type: 'interactive', payload: blockActionsPayload({ actions: [{ action_id: 'a', value: 'v' }] }) }),
  ];
  await waitFor(() => injected.every((i) => sim.acks().some((a) => a.envelopeId === i.envelopeId)), { message: 'six acks' });
  await proc.waitForLog((l) => l.msg === 'envelope acked' && l.level === 'debug' && l.envelope_id === injected[0]!.envelopeId);

  const metrics = await (await fetch(`http://127.0.0.1:${String(ops.port)}/metrics`)).text();
  assert.equal(sample(metrics, 'socketworks_connector_acks_total', { type: 'events_api', service: 'connector' }), 5);
  assert.match(metrics, /socketworks_connector_ack_latency_seconds_bucket/);
  assert.equal((await fetch(`http://127.0.0.1:${String(ops.port)}/readyz`)).status, 200);

  const code = await proc.stop('SIGTERM');
  assert.equal(code, 0);
  assert.ok(proc.logs.some((l) => l.msg === 'stopped'));
  const output = proc.output();
  assert.ok(output.length > 1000);
  assert.ok(!output.includes(TOKEN), 'the token appears in the output');
  assert.ok(!output.includes(TOKEN.slice(5)), 'the token body appears in the output');
  assert.ok(!output.includes(redisUrl), 'REDIS_URL appears in the output');
  assert.ok(sim.sockets().every((s) => s.state === 'closed' && s.closeCode === 1000), 'sockets closed cleanly');
});

test('a missing SLACK_APP_TOKEN stops the start with exit 1, naming the variable', { timeout: 15000 }, async () => {
  const env: Record<string, string> = baseEnv();
  delete env.SLACK_APP_TOKEN;
  const proc = spawnConnector(env);
  const code = await waitFor(() => (proc.exited() ? { code: proc.child.exitCode } : undefined), { message: 'the process to exit' });
  assert.equal(code.code, 1);
  assert.match(proc.output(), /SLACK_APP_TOKEN is required/);
});

test('a malformed token is named, never printed', { timeout: 15000 }, async () => {
  const bad = 'xoxb-1-this-is-a-bot-token-not-an-app-token';
  const proc = spawnConnector({ ...baseEnv(), SLACK_APP_TOKEN: bad, SLACK_CONNECTIONS: '12' });
  const code = await waitFor(() => (proc.exited() ? { code: proc.child.exitCode } : undefined), { message: 'the process to exit' });
  assert.equal(code.code, 1);
  const output = proc.output();
  assert.match(output, /SLACK_APP_TOKEN must be a Slack token starting with xapp-/);
  assert.match(output, /SLACK_CONNECTIONS must be at most 9/);
  assert.ok(!output.includes(bad) && !output.includes(bad.slice(5)));
});
