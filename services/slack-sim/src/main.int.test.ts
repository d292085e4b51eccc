// The built service as a real process, driven only over HTTP like the demo and the benchmark.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { freePort, spawnService, waitFor, type ServiceProcess } from '@socketworks/testing';

const ENTRY = join(__dirname, '..', 'dist', 'main.js');
const APP_TOKEN = 'xapp-1-A0000001-1-svc-test-token';
const BOT_TOKEN = 'xoxb-1-2-svc-test-token';

async function startService(env: Record<string, string>): Promise<{ service: ServiceProcess; base: string }> {
  const port = await freePort();
  // LOG_LEVEL warn, as the end-to-end stack runs it: the listening line must still be written.
  const service = spawnService({ name: 'slack-sim', entry: ENTRY, env: { SIM_PORT: String(port), LOG_LEVEL: 'warn', ...env } });
  const line = await service.waitForLog((l) => l.msg === 'slack-sim listening', { timeoutMs: 15000 });
  assert.equal(line.port, port);
  assert.equal(line.api_url, `http://127.0.0.1:${port}/api/`);
  return { service, base: `http://127.0.0.1:${port}` };
}

async function call(url: string, init: { method?: string; body?: unknown; token?: string } = {}) {
  const headers: Record<string, string> = {};
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  const res = await fetch(url, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & unknown[] };
}

test('the service serves the protocol and the control API, and exits 0 on SIGTERM', { timeout: 60000 }, async (t) => {
  const { service, base } = await startService({ SLACK_APP_TOKEN: APP_TOKEN, SLACK_BOT_TOKEN: BOT_TOKEN, SIM_REDELIVERY_TIMEOUT_MS: '200' });
  t.after(() => service.stop('SIGKILL'));

  // Only the configured tokens are accepted.
  assert.equal((await call(`${base}/api/apps.connections.open`, { method: 'POST', token: 'xapp-1-other' })).body.error, 'invalid_auth');
  const opened = await call(`${base}/api/apps.connections.open`, { method: 'POST', token: APP_TOKEN });
  assert.equal(opened.body.ok, true);
  const ws = new WebSocket(opened.body.url as string);
  ws.on('error', () => undefined);
  const frames: Array<Record<string, unknown>> = [];
  ws.on('message', (data) => frames.push(JSON.parse(data.toString()) as Record<string, unknown>));
  await waitFor(() => frames[0], { message: 'hello' });
  assert.equal(frames[0]!.type, 'hello');

  // Inject over the control API; leave it unacked once to see the configured redelivery timeout.
  const template = {
    type: 'events_api',
    payload: { type: 'event_callback', team_id: 'T0000001', api_app_id: 'A0000001', event: { type: 'app_mention', text: 'hi', ts: '1.1' }, event_id: 'Ev1' },
  };
  const injected = (await call(`${base}/_sim/inject`, { method: 'POST', body: template })).body as unknown as { envelopeId: string; eventId: string };
  assert.equal(injected.eventId, 'Ev1');
  const retry = await waitFor(() => frames.find((f) => f.retry_attempt === 1), { message: 'redelivery' });
  ws.send(JSON.stringify({ envelope_id: retry.envelope_id }));
  const stream = (await call(`${base}/_sim/stream`, { method: 'POST', body: { count: 20, ratePerSecond: 200, template } })).body;
  assert.equal(stream.injected, 20);
  await waitFor(() => frames.filter((f) => f.envelope_id && f.retry_attempt === 0).length >= 21, { message: 'streamed envelopes' });
  const stats = (await call(`${base}/_sim/stats`)).body;
  assert.equal(stats.acked, 1);
  assert.equal(stats.openSockets, 1);
  const calls = (await call(`${base}/_sim/api-calls`)).body as unknown as Array<Record<string, unknown>>;
  assert.equal(calls.length, 2);
  assert.ok(!JSON.stringify(calls).includes('xapp-'), 'no token in the control API');

  const bot = await call(`${base}/api/auth.test`, { method: 'POST', token: BOT_TOKEN });
  assert.equal(bot.body.ok, true);

  const closed = once(ws, 'close');
  assert.equal(await service.stop('SIGTERM'), 0);
  const [code] = (await closed) as [number];
  assert.equal(code, 1001, 'sockets are closed cleanly on shutdown');
  assert.ok(service.logs.some((l) => l.msg === 'stopped'));
  assert.ok(!service.output().includes(APP_TOKEN) && !service.output().includes(BOT_TOKEN), 'tokens never logged');
});

test('a bad SIM_PORT stops the service with a non-zero exit naming SIM_PORT', { timeout: 30000 }, async () => {
  const service = spawnService({ name: 'slack-sim', entry: ENTRY, env: { SIM_PORT: 'not-a-port' } });
  const [code] = (await once(service.child, 'exit')) as [number | null];
  assert.notEqual(code, 0);
  assert.match(service.output(), /SIM_PORT/);
  assert.ok(!service.output().includes('not-a-port'), 'the value is not echoed');
});
