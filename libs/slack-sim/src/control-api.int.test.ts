import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '@socketworks/testing';
import { SlackSim } from './slack-sim';
import { appMentionPayload, slashCommandPayload } from './payloads';
import { api, APP_TOKEN, BOT_TOKEN, control, TestSocket } from './test-helpers';
import type { ApiCall, Delivery, InjectResult, SimStats, SocketInfo, StreamResult } from './types';

async function setup(t: TestContext) {
  const sim = await SlackSim.start({ redeliveryTimeoutMs: 60000 });
  t.after(() => sim.close());
  const socket = await TestSocket.open(sim);
  t.after(() => socket.close());
  return { sim, socket };
}

const mentionInput = (text: string) => ({ type: 'events_api', payload: appMentionPayload({ text }) });

test('POST /_sim/inject takes one input or an array and answers InjectResult(s)', async (t) => {
  const { sim, socket } = await setup(t);
  const one = await control(sim, 'POST', 'inject', mentionInput('one'));
  assert.equal(one.status, 200);
  const result = one.body as InjectResult;
  assert.match(result.envelopeId, /^[0-9a-f-]{36}$/);
  assert.match(result.eventId!, /^Ev[0-9A-Z]{10}$/);
  const many = await control(sim, 'POST', 'inject', [mentionInput('two'), { type: 'slash_commands', payload: slashCommandPayload({ command: '/x', text: '' }) }]);
  const results = many.body as InjectResult[];
  assert.equal(results.length, 2);
  assert.ok(results[1]!.responseUrl!.startsWith(`${sim.baseUrl}/hooks/commands/`));
  await socket.nextEnvelope(2);
  assert.deepEqual(
    socket.envelopes().map((e) => e.envelope_id),
    [result.envelopeId, results[0]!.envelopeId, results[1]!.envelopeId],
  );
});

test('bad input gets 400 with a clear error; unknown routes 404, wrong verbs 405', async (t) => {
  const { sim } = await setup(t);
  const badJson = await control(sim, 'POST', 'inject', '{"type":');
  assert.equal(badJson.status, 400);
  assert.equal((badJson.body as { error: string }).error, 'invalid_json');
  const badShape = await control(sim, 'POST', 'inject', { type: 'nope', payload: {} });
  assert.equal(badShape.status, 400);
  assert.equal((badShape.body as { error: string }).error, 'invalid_request');
  assert.match((badShape.body as { message: string }).message, /type/);
  assert.equal((await control(sim, 'GET', 'nowhere')).status, 404);
  assert.equal((await control(sim, 'GET', 'inject')).status, 405);
  assert.equal(sim.stats().badRequests, 2);
  assert.equal(sim.stats().sent, 0);
});

test('POST /_sim/stream makes each envelope unique and answers when done', async (t) => {
  const { sim, socket } = await setup(t);
  const res = await control(sim, 'POST', 'stream', { count: 40, ratePerSecond: 400, template: mentionInput('<@U0000002> load') });
  assert.equal(res.status, 200);
  const stream = res.body as StreamResult;
  assert.equal(stream.injected, 40);
  assert.ok(stream.durationMs >= 95, `duration ${stream.durationMs}`);
  await socket.nextEnvelope(39);
  const payloads = socket.envelopes().map((e) => e.payload as { event_id: string; event: { text: string; ts: string } });
  assert.equal(new Set(payloads.map((p) => p.event_id)).size, 40);
  assert.equal(new Set(payloads.map((p) => p.event.ts)).size, 40);
  assert.deepEqual(
    payloads.map((p) => p.event.text),
    Array.from({ length: 40 }, (_, i) => `<@U0000002> load #${i}`),
  );
  const same = (await control(sim, 'POST', 'stream', { count: 3, ratePerSecond: 1000, template: mentionInput('dup'), vary: 'none' })).body as StreamResult;
  assert.equal(same.injected, 3);
  await socket.nextEnvelope(42);
  assert.equal(new Set(socket.envelopes().slice(40).map((e) => (e.payload as { event_id: string }).event_id)).size, 1);
});

test('refresh, drop and raw over HTTP', async (t) => {
  const { sim, socket } = await setup(t);
  const [info] = (await control(sim, 'GET', 'sockets')).body as SocketInfo[];
  const raw = await control(sim, 'POST', 'raw', { text: 'garbage' });
  assert.deepEqual(raw.body, { ok: true, socketId: info!.id });
  await waitFor(() => socket.frames.some((f) => f.raw === 'garbage'), { intervalMs: 5 });
  const refreshed = await control(sim, 'POST', 'refresh', { reason: 'warning' });
  assert.deepEqual(refreshed.body, { ok: true, socketIds: [info!.id] });
  await waitFor(() => socket.frames.some((f) => f.type === 'disconnect' && f.reason === 'warning'), { intervalMs: 5 });
  const dropped = await control(sim, 'POST', 'drop', {});
  assert.deepEqual(dropped.body, { ok: true, socketIds: [info!.id] });
  assert.equal((await socket.closed).code, 1006);
  await waitFor(() => sim.sockets()[0]!.state === 'closed', { intervalMs: 5 });
  const noSocket = await control(sim, 'POST', 'raw', { text: 'x' });
  assert.equal(noSocket.status, 409);
  assert.equal((noSocket.body as { error: string }).error, 'ERR_SIM_NO_SOCKET');
});

test('settings over HTTP: rate limit, connections-open error, link disabled', async (t) => {
  const { sim, socket } = await setup(t);
  assert.deepEqual((await control(sim, 'PUT', 'rate-limit', { method: 'auth.test', count: 1, retryAfterSeconds: 2 })).body, { ok: true });
  assert.equal((await api(sim, 'auth.test', { token: BOT_TOKEN })).status, 429);
  assert.equal((await api(sim, 'auth.test', { token: BOT_TOKEN })).status, 429, 'inside the window');
  const limited = (await control(sim, 'GET', 'api-calls?method=auth.test')).body as Array<{ status: number; early?: boolean }>;
  assert.deepEqual(limited.map((c) => [c.status, c.early ?? false]), [[429, false], [429, true]]);
  await control(sim, 'PUT', 'rate-limit', { method: 'auth.test', count: 5, retryAfterSeconds: 2 });
  await control(sim, 'PUT', 'rate-limit', null);
  assert.equal((await api(sim, 'auth.test', { token: BOT_TOKEN })).status, 200, 'null clears the rule');

  await control(sim, 'PUT', 'connections-open-error', { error: 'invalid_auth', count: 1 });
  assert.deepEqual((await api(sim, 'apps.connections.open', { token: APP_TOKEN })).body, { ok: false, error: 'invalid_auth' });
  await control(sim, 'PUT', 'connections-open-error', { error: 'internal_error', httpStatus: 503 });
  assert.equal((await api(sim, 'apps.connections.open', { token: APP_TOKEN })).status, 503);
  await control(sim, 'PUT', 'connections-open-error', { error: null });
  assert.equal((await api(sim, 'apps.connections.open', { token: APP_TOKEN })).status, 200);

  assert.deepEqual((await control(sim, 'PUT', 'link-disabled', { disabled: true })).body, { ok: true });
  await socket.closed;
  assert.equal(socket.frames.at(-1)!.reason, 'link_disabled');
  await control(sim, 'PUT', 'link-disabled', { disabled: false });
  const again = await TestSocket.open(sim);
  t.after(() => again.close());
  assert.equal(again.frames[0]!.type, 'hello');
  assert.equal((await control(sim, 'PUT', 'link-disabled', { disabled: 'yes' })).status, 400);
});

test('reads over HTTP; api-calls never show tokens; reset forgets', async (t) => {
  const { sim, socket } = await setup(t);
  const { envelopeId } = sim.inject({ type: 'events_api', payload: appMentionPayload({ text: 'x' }) });
  await socket.nextEnvelope(0);
  socket.ack(envelopeId, { ok: 1 });
  await waitFor(() => sim.acks().length === 1, { intervalMs: 5 });
  await api(sim, 'chat.postMessage', { token: BOT_TOKEN, body: { channel: 'C0000001', text: 'hi' } });

  const deliveries = (await control(sim, 'GET', 'deliveries')).body as Delivery[];
  assert.equal(deliveries[0]!.envelopeId, envelopeId);
  assert.equal(deliveries[0]!.acked, true);
  const slim = (await control(sim, 'GET', 'deliveries?payloads=false&offset=0')).body as Delivery[];
  assert.equal(slim[0]!.payload, undefined);
  assert.equal(((await control(sim, 'GET', 'deliveries?offset=1')).body as Delivery[]).length, 0);
  const acks = (await control(sim, 'GET', 'acks')).body as Array<{ envelopeId: string; payload: unknown }>;
  assert.deepEqual(acks[0]!.payload, { ok: 1 });

  const calls = (await control(sim, 'GET', 'api-calls')).body as ApiCall[];
  assert.ok(calls.length >= 2);
  assert.ok(calls.every((c) => !('token' in c)));
  const text = JSON.stringify(calls);
  assert.ok(!text.includes('xoxb-') && !text.includes('xapp-'), 'no token anywhere in the output');
  const posts = (await control(sim, 'GET', 'api-calls?method=chat.postMessage')).body as ApiCall[];
  assert.deepEqual(posts.map((c) => c.method), ['chat.postMessage']);

  const stats = (await control(sim, 'GET', 'stats')).body as SimStats;
  assert.deepEqual([stats.sent, stats.acked, stats.openSockets, stats.ackLatencyMs.count], [1, 1, 1, 1]);
  assert.deepEqual((await control(sim, 'GET', 'response-url-calls')).body, []);

  assert.deepEqual((await control(sim, 'POST', 'reset')).body, { ok: true });
  const after = (await control(sim, 'GET', 'stats')).body as SimStats;
  assert.deepEqual([after.sent, after.acked, after.apiCalls, after.openSockets], [0, 0, 0, 1], 'sockets stay');
  assert.deepEqual((await control(sim, 'GET', 'deliveries')).body, []);
});
