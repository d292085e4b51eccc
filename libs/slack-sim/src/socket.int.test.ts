import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { WebSocket } from 'ws';
import { waitFor } from '@socketworks/testing';
import { SlackSim } from './slack-sim';
import { appMentionPayload, blockActionsPayload, globalShortcutPayload, slashCommandPayload, viewSubmissionPayload } from './payloads';
import { connectionUrl, fixture, TestSocket } from './test-helpers';
import type { SlackSimOptions } from './types';

async function startSim(t: TestContext, options: SlackSimOptions = {}): Promise<SlackSim> {
  const sim = await SlackSim.start(options);
  t.after(() => sim.close());
  return sim;
}

async function openSocket(t: TestContext, sim: SlackSim): Promise<TestSocket> {
  const socket = await TestSocket.open(sim);
  t.after(() => socket.close());
  return socket;
}

const mention = (text = 'hi') => ({ type: 'events_api' as const, payload: appMentionPayload({ text: `<@U0000002> ${text}` }) });

function keysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.length > 0 ? [keysDeep(value[0])] : [];
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, keysDeep(v)]));
  }
  return typeof value;
}

test('hello is shaped like the fixture and counts open sockets', async (t) => {
  const sim = await startSim(t);
  const first = await openSocket(t, sim);
  const second = await openSocket(t, sim);
  const hello = fixture('hello.json');
  assert.deepEqual(Object.keys(first.frames[0]!), Object.keys(hello));
  assert.deepEqual(keysDeep(first.frames[0]), keysDeep(hello));
  assert.equal(first.frames[0]!.num_connections, 1);
  assert.equal(second.frames[0]!.num_connections, 2);
  assert.deepEqual(second.frames[0]!.connection_info, { app_id: 'A0000001' });
  const info = sim.sockets();
  assert.equal(info.length, 2);
  assert.ok(info.every((s) => s.state === 'open' && s.helloAt !== null));
});

test('inject → envelope like the fixtures → ack recorded with its latency', async (t) => {
  const sim = await startSim(t);
  const socket = await openSocket(t, sim);
  const result = sim.inject(mention());
  const envelope = await socket.nextEnvelope();
  const expected = fixture('events_api_app_mention.json');
  assert.deepEqual(Object.keys(envelope), Object.keys(expected));
  assert.equal(envelope.envelope_id, result.envelopeId);
  assert.equal(envelope.type, 'events_api');
  assert.equal(envelope.accepts_response_payload, false);
  assert.equal(envelope.retry_attempt, 0);
  assert.equal(envelope.retry_reason, '');
  assert.equal((envelope.payload as { event_id: string }).event_id, result.eventId);

  socket.ack(result.envelopeId);
  const ack = await waitFor(() => sim.acks()[0], { intervalMs: 5 });
  assert.equal(ack.envelopeId, result.envelopeId);
  assert.equal(ack.known, true);
  assert.equal(ack.duplicate, false);
  assert.equal(ack.crossSocket, false);
  assert.equal(ack.payload, undefined);
  assert.ok(ack.latencyMs !== null && ack.latencyMs >= 0 && ack.latencyMs < 5000, `latency ${ack.latencyMs}`);
  const [delivery] = sim.deliveries();
  assert.equal(delivery!.acked, true);
  assert.equal(delivery!.socketId, sim.sockets()[0]!.id);
  const stats = sim.stats();
  assert.equal(stats.sent, 1);
  assert.equal(stats.acked, 1);
  assert.equal(stats.unacked, 0);
  assert.equal(stats.ackLatencyMs.count, 1);
});

test('interactive and slash envelopes carry no retry fields and get live trigger_id / response_url', async (t) => {
  const sim = await startSim(t);
  const socket = await openSocket(t, sim);
  const slash = slashCommandPayload({ command: '/deploy', text: 'api' });
  const r1 = sim.inject({ type: 'slash_commands', payload: slash });
  const r2 = sim.inject({ type: 'interactive', payload: blockActionsPayload({ actions: [{ action_id: 'approve', value: 'v' }] }) });
  const r3 = sim.inject({ type: 'interactive', payload: viewSubmissionPayload({ callback_id: 'm', values: {} }) });
  const r4 = sim.inject({ type: 'interactive', payload: globalShortcutPayload({ callback_id: 's' }) });
  await socket.nextEnvelope(3);
  const [e1, e2, e3, e4] = socket.envelopes();
  assert.deepEqual(Object.keys(e1!), Object.keys(fixture('slash_commands.json')));
  assert.deepEqual(Object.keys(e2!), Object.keys(fixture('interactive_block_actions.json')));
  assert.equal(e1!.accepts_response_payload, true);
  assert.equal(e2!.accepts_response_payload, false);
  assert.equal(e3!.accepts_response_payload, true);
  assert.equal(e4!.accepts_response_payload, false);
  const p1 = e1!.payload as Record<string, string>;
  assert.notEqual(p1.trigger_id, slash.trigger_id);
  assert.equal(p1.trigger_id, r1.triggerId);
  assert.equal(p1.response_url, r1.responseUrl);
  assert.match(p1.response_url!, new RegExp(`^${sim.baseUrl}/hooks/commands/T0000001/[0-9a-f]+$`));
  assert.match((e2!.payload as Record<string, string>).response_url!, /\/hooks\/actions\/T0000001\//);
  assert.equal(r2.triggerId, (e2!.payload as Record<string, string>).trigger_id);
  assert.equal(r3.responseUrl, undefined, 'a view_submission without response_url_enabled has none');
  assert.equal(r4.responseUrl, undefined, 'global shortcuts have no response_url');
  assert.match(r4.triggerId!, /^\d+\.\d+\.[0-9a-f]{32}$/);
});

test('an unacked events_api envelope is redelivered with a new envelope_id until the retries run out', async (t) => {
  const sim = await startSim(t, { redeliveryTimeoutMs: 100, maxRedeliveries: 2 });
  const socket = await openSocket(t, sim);
  const result = sim.inject(mention());
  await waitFor(() => sim.stats().gaveUp === 1, { timeoutMs: 5000, intervalMs: 10 });
  const envelopes = socket.envelopes();
  assert.equal(envelopes.length, 3);
  assert.deepEqual(
    envelopes.map((e) => [e.retry_attempt, e.retry_reason]),
    [
      [0, ''],
      [1, 'timeout'],
      [2, 'timeout'],
    ],
  );
  assert.equal(new Set(envelopes.map((e) => e.envelope_id)).size, 3);
  assert.ok(envelopes.every((e) => (e.payload as { event_id: string }).event_id === result.eventId));
  const deliveries = sim.deliveries();
  assert.deepEqual(deliveries.map((d) => d.retryAttempt), [0, 1, 2]);
  assert.ok(deliveries[1]!.sentAt! - deliveries[0]!.sentAt! >= 99, 'redelivered after the timeout');
  const stats = sim.stats();
  assert.equal(stats.redelivered, 2);
  assert.equal(stats.unacked, 3);
});

test('a redelivery stops as soon as the envelope is acked', async (t) => {
  const sim = await startSim(t, { redeliveryTimeoutMs: 100 });
  const socket = await openSocket(t, sim);
  sim.inject(mention());
  const retry = await socket.nextEnvelope(1);
  assert.equal(retry.retry_attempt, 1);
  socket.ack(retry.envelope_id!);
  await waitFor(() => sim.acks().length === 1, { intervalMs: 5 });
  // A second event, never acked, proves time has passed beyond the next retry of the first.
  sim.inject(mention('second'));
  await waitFor(() => socket.envelopes().some((e) => e.retry_attempt === 1 && (e.payload as { event: { text: string } }).event.text.endsWith('second')), {
    intervalMs: 10,
  });
  assert.equal(socket.envelopes().filter((e) => e.retry_attempt === 2).length, 0);
});

test('interactive and slash envelopes are never redelivered', async (t) => {
  const sim = await startSim(t, { redeliveryTimeoutMs: 100 });
  const socket = await openSocket(t, sim);
  sim.inject({ type: 'interactive', payload: blockActionsPayload({ actions: [{ action_id: 'a' }] }) });
  sim.inject({ type: 'slash_commands', payload: slashCommandPayload({ command: '/x', text: '' }) });
  sim.inject(mention());
  // When the event has been redelivered twice, the others would have been too.
  await waitFor(() => socket.envelopes().some((e) => e.retry_attempt === 2), { intervalMs: 10 });
  const types = socket.envelopes().map((e) => e.type);
  assert.equal(types.filter((t) => t === 'interactive').length, 1);
  assert.equal(types.filter((t) => t === 'slash_commands').length, 1);
});

test('envelopes injected with no socket wait, in order, and go out after hello', async (t) => {
  const sim = await startSim(t);
  const ids = [1, 2, 3].map((i) => sim.inject(mention(`n${i}`)).envelopeId);
  const waiting = sim.deliveries();
  assert.ok(waiting.every((d) => d.socketId === null && d.sentAt === null && d.waitedForSocket));
  assert.equal(sim.stats().waiting, 3);
  const socket = await openSocket(t, sim);
  await socket.nextEnvelope(2);
  assert.deepEqual(
    socket.envelopes().map((e) => e.envelope_id),
    ids,
  );
  assert.equal(socket.frames[0]!.type, 'hello', 'hello comes first');
  const stats = sim.stats();
  assert.equal(stats.waitedForSocket, 3);
  assert.equal(stats.waiting, 0);
  assert.ok(sim.deliveries().every((d) => d.socketId === sim.sockets()[0]!.id));
});

test('envelopes go round-robin over open sockets', async (t) => {
  const sim = await startSim(t);
  const a = await openSocket(t, sim);
  const b = await openSocket(t, sim);
  for (let i = 0; i < 6; i++) sim.inject(mention(`rr${i}`));
  await a.nextEnvelope(2);
  await b.nextEnvelope(2);
  const order = sim.deliveries().map((d) => d.socketId);
  const [idA, idB] = sim.sockets().map((s) => s.id);
  assert.equal(order.filter((id) => id === idA).length, 3);
  assert.equal(order.filter((id) => id === idB).length, 3);
  for (let i = 1; i < order.length; i++) assert.notEqual(order[i], order[i - 1], 'alternates');
});

test('refresh_requested: disconnect frame, no new envelopes, acks still taken, closed after the grace period', async (t) => {
  const sim = await startSim(t, { refreshGraceMs: 300 });
  const old = await openSocket(t, sim);
  const fresh = await openSocket(t, sim);
  const [oldId, freshId] = sim.sockets().map((s) => s.id);
  // One envelope in flight on the old socket before the refresh.
  sim.inject(mention('before'));
  sim.inject(mention('before-2'));
  const inFlight = await old.nextEnvelope(0);

  const closedEvent = once(sim, 'socket_close');
  assert.deepEqual(sim.refresh(), [oldId]);
  const disconnect = await waitFor(() => old.frames.find((f) => f.type === 'disconnect'), { intervalMs: 5 });
  assert.deepEqual(keysDeep(disconnect), keysDeep(fixture('disconnect_refresh_requested.json')));
  assert.deepEqual(disconnect, { type: 'disconnect', reason: 'refresh_requested', debug_info: { host: 'applink-sim-1' } });
  assert.equal(sim.sockets()[0]!.state, 'draining');

  for (let i = 0; i < 4; i++) sim.inject(mention(`after${i}`));
  await fresh.nextEnvelope(4);
  assert.equal(old.envelopes().length, 1, 'nothing new routed to the draining socket');
  old.ack(inFlight.envelope_id!);
  const ack = await waitFor(() => sim.acks().find((a) => a.envelopeId === inFlight.envelope_id), { intervalMs: 5 });
  assert.equal(ack.known, true);
  assert.equal(ack.socketId, oldId);

  const [closedInfo] = (await closedEvent) as [{ id: string; closeReason: string; closeCode: number }];
  assert.equal(closedInfo.id, oldId);
  assert.equal(closedInfo.closeReason, 'refresh_requested');
  assert.equal((await old.closed).code, 1000);
  const info = sim.sockets().find((s) => s.id === oldId)!;
  assert.equal(info.state, 'closed');
  assert.ok(info.closedAt! - info.helloAt! >= 299);
  assert.equal(sim.sockets().find((s) => s.id === freshId)!.state, 'open');
});

test('warning uses its own grace period; a client that closes first is not waited for', async (t) => {
  const sim = await startSim(t, { warningGraceMs: 60000 });
  const socket = await openSocket(t, sim);
  sim.refresh({ reason: 'warning' });
  const frame = await waitFor(() => socket.frames.find((f) => f.type === 'disconnect'), { intervalMs: 5 });
  assert.equal(frame.reason, 'warning');
  assert.deepEqual(Object.keys(frame), Object.keys(fixture('disconnect_warning.json')));
  await socket.close();
  await waitFor(() => sim.sockets()[0]!.state === 'closed', { intervalMs: 5 });
  assert.equal(sim.sockets()[0]!.closeReason, 'warning');
});

test('drop ends the socket without a close frame; the unacked event is redelivered elsewhere', async (t) => {
  const sim = await startSim(t, { redeliveryTimeoutMs: 200 });
  const a = await openSocket(t, sim);
  const envelope = (sim.inject(mention('lost')), await a.nextEnvelope(0));
  assert.deepEqual(sim.drop(), [sim.sockets()[0]!.id]);
  assert.equal((await a.closed).code, 1006, 'abnormal closure: no close frame');
  await waitFor(() => sim.sockets()[0]!.state === 'closed', { intervalMs: 5 });
  assert.equal(sim.sockets()[0]!.closeReason, 'dropped');
  const b = await openSocket(t, sim);
  const retry = await b.nextEnvelope(0);
  assert.equal(retry.retry_attempt, 1);
  assert.equal((retry.payload as { event_id: string }).event_id, (envelope.payload as { event_id: string }).event_id);
});

test('the socket over maxSockets gets too_many_websockets and is closed', async (t) => {
  const sim = await startSim(t);
  const sockets: TestSocket[] = [];
  for (let i = 0; i < 10; i++) sockets.push(await openSocket(t, sim));
  assert.equal(sockets[9]!.frames[0]!.num_connections, 10);
  const eleventh = await openSocket(t, sim);
  assert.deepEqual(eleventh.frames[0], { type: 'disconnect', reason: 'too_many_websockets', debug_info: { host: 'applink-sim-11' } });
  await eleventh.closed;
  await waitFor(() => sim.sockets()[10]!.state === 'closed', { intervalMs: 5 });
  const info = sim.sockets()[10]!;
  assert.equal(info.helloAt, null);
  assert.equal(info.closeReason, 'too_many_websockets');
  assert.equal(sim.stats().openSockets, 10);
  // The ten others still take envelopes.
  sim.inject(mention());
  await waitFor(() => sim.deliveries()[0]!.sentAt !== null, { intervalMs: 5 });
});

test('helloDelayMs: hello comes that long after the upgrade, and a socket waiting for it counts against maxSockets', async (t) => {
  const sim = await startSim(t, { helloDelayMs: 300, maxSockets: 1 });
  const started = performance.now();
  const first = await openSocket(t, sim);
  const waitedMs = performance.now() - started;
  assert.equal(first.frames[0]!.type, 'hello');
  assert.ok(waitedMs >= 290, `hello after ${waitedMs.toFixed(0)} ms`);
  const info = sim.sockets()[0]!;
  assert.ok(info.helloAt! - info.openedAt >= 290, 'helloAt is when hello was sent');
  // A second socket opened while the first waits for its hello is over the cap.
  const sim2 = await startSim(t, { helloDelayMs: 300, maxSockets: 1 });
  const waiting = new WebSocket(await connectionUrl(sim2));
  t.after(() => waiting.terminate());
  await once(waiting, 'open');
  const refused = await openSocket(t, sim2);
  assert.equal(refused.frames[0]!.type, 'disconnect');
  assert.equal(refused.frames[0]!.reason, 'too_many_websockets');
  // Envelopes wait for a hello: none goes to a socket before it.
  sim2.inject(mention());
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(sim2.deliveries()[0]!.sentAt, null, 'not sent before hello');
  await waitFor(() => sim2.deliveries()[0]!.sentAt !== null, { intervalMs: 5, message: 'sent after hello' });
});

test('socket tickets are single use; unknown tickets get HTTP 401', async (t) => {
  const sim = await startSim(t);
  const url = await connectionUrl(sim);
  assert.match(url, new RegExp(`^ws://127\\.0\\.0\\.1:${sim.port}/link/\\?ticket=[0-9a-f]+&app_id=A0000001$`));
  const first = await TestSocket.open(sim, url);
  t.after(() => first.close());
  assert.equal(first.frames[0]!.type, 'hello');
  for (const bad of [url, url.replace(/ticket=[0-9a-f]+/, 'ticket=deadbeef')]) {
    const ws = new WebSocket(bad);
    ws.on('error', () => undefined);
    const [, res] = (await once(ws, 'unexpected-response')) as [unknown, { statusCode: number; resume(): void }];
    res.resume();
    assert.equal(res.statusCode, 401);
    ws.terminate();
  }
  assert.equal(sim.sockets().length, 1);
});

test('acks: unknown, duplicate and cross-socket acks are flagged; malformed frames are counted and ignored', async (t) => {
  const sim = await startSim(t);
  const a = await openSocket(t, sim);
  const b = await openSocket(t, sim);
  const first = sim.inject(mention('1'));
  const second = sim.inject(mention('2'));
  await b.nextEnvelope(0);
  a.ws.send('not json');
  a.ws.send('{"payload":{}}');
  a.ws.send(Buffer.from([1, 2, 3]), { binary: true });
  a.ws.send('{"envelope_id":"x","payload":"text"}');
  a.ack('no-such-envelope');
  a.ack(first.envelopeId, { text: 'hello' });
  a.ack(first.envelopeId);
  a.ack(second.envelopeId); // delivered on b
  await waitFor(() => sim.acks().length === 4, { intervalMs: 5 });
  const [unknown, good, dup, cross] = sim.acks();
  assert.deepEqual([unknown!.known, unknown!.latencyMs], [false, null]);
  assert.deepEqual(good!.payload, { text: 'hello' });
  assert.equal(good!.duplicate, false);
  assert.equal(dup!.duplicate, true);
  assert.equal(cross!.crossSocket, true);
  const stats = sim.stats();
  assert.equal(stats.clientFrameErrors, 4);
  assert.equal(stats.unknownAcks, 1);
  assert.equal(stats.duplicateAcks, 1);
  assert.equal(stats.crossSocketAcks, 1);
  assert.equal(stats.acked, 2);
  assert.equal(a.ws.readyState, WebSocket.OPEN, 'bad frames do not close the socket');
});

test('sendRaw writes the exact text; it throws when no socket is open', async (t) => {
  const sim = await startSim(t);
  assert.throws(() => sim.sendRaw('x'), { code: 'ERR_SIM_NO_SOCKET' });
  const socket = await openSocket(t, sim);
  const received = once(socket.ws, 'message');
  assert.equal(sim.sendRaw('{"type":"events_api"'), sim.sockets()[0]!.id);
  const [data] = (await received) as [Buffer];
  assert.equal(data.toString(), '{"type":"events_api"');
});

test('link disabled: sockets are told and closed, new ones too; envelopes wait until it is enabled', async (t) => {
  const sim = await startSim(t);
  const socket = await openSocket(t, sim);
  sim.setLinkDisabled(true);
  await socket.closed;
  assert.deepEqual(socket.frames.at(-1), { type: 'disconnect', reason: 'link_disabled', debug_info: { host: 'applink-sim-1' } });
  const held = sim.inject(mention('held'));
  const refused = await TestSocket.open(sim);
  assert.equal(refused.frames[0]!.reason, 'link_disabled');
  await refused.closed;
  assert.equal(refused.envelopes().length, 0);
  sim.setLinkDisabled(false);
  const next = await openSocket(t, sim);
  assert.equal(next.frames[0]!.type, 'hello');
  assert.equal((await next.nextEnvelope(0)).envelope_id, held.envelopeId);
});

test('the simulator pings its sockets', async (t) => {
  const sim = await startSim(t, { serverPingIntervalMs: 30 });
  const socket = await openSocket(t, sim);
  const [data] = (await once(socket.ws, 'ping')) as [Buffer];
  assert.match(data.toString(), /^Ping from applink-sim-1$/);
});

test('injectStream paces by absolute time and stops at maxDurationMs', async (t) => {
  const sim = await startSim(t);
  const socket = await openSocket(t, sim);
  const result = await sim.injectStream({ count: 100, ratePerSecond: 1000, make: (i) => mention(`s${i}`) });
  assert.equal(result.injected, 100);
  assert.equal(new Set(result.envelopeIds).size, 100);
  assert.ok(result.durationMs >= 98 && result.durationMs < 2000, `duration ${result.durationMs}`);
  await socket.nextEnvelope(99);
  const bounded = await sim.injectStream({ count: 1000, ratePerSecond: 100, maxDurationMs: 150, make: () => mention() });
  assert.ok(bounded.injected >= 10 && bounded.injected < 100, `injected ${bounded.injected}`);
});

test('close() closes sockets with 1001 and frees the port', async () => {
  const sim = await SlackSim.start();
  const socket = await TestSocket.open(sim);
  await sim.close();
  assert.equal((await socket.closed).code, 1001);
  await assert.rejects(fetch(`${sim.apiUrl}auth.test`, { method: 'POST' }));
});

test('maxRecords bounds what is kept while the counters keep counting', async (t) => {
  const sim = await startSim(t, { maxRecords: 8 });
  const socket = await openSocket(t, sim);
  const ids: string[] = [];
  for (let i = 0; i < 40; i++) ids.push(sim.inject(mention(`m${i}`)).envelopeId);
  await socket.nextEnvelope(39);
  for (const id of ids) socket.ack(id);
  await waitFor(() => sim.stats().acked === 40, { intervalMs: 5 });
  const deliveries = sim.deliveries();
  assert.ok(deliveries.length >= 8 && deliveries.length <= 10, `kept ${deliveries.length}`);
  assert.equal(deliveries.at(-1)!.envelopeId, ids[39]);
  assert.ok(sim.acks().length <= 10);
  assert.equal(sim.acks().at(-1)!.envelopeId, ids[39]);
  assert.equal(sim.stats().sent, 40);
  assert.equal(sim.stats().unknownAcks, 0, 'acks of kept-back envelopes were still matched');
});
