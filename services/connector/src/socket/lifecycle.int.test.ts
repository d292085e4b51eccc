// Socket lifecycle against the simulator: refresh (make-before-break), drop, the reasons that must
// not be treated as routine (too_many_websockets, link_disabled), and apps.connections.open
// failures (fatal vs retried).
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { appMentionPayload } from '@socketworks/slack-sim';
import { waitFor } from '@socketworks/testing';
import { metricValue, replacementOf } from '../test-support/log-capture';
import { startHarness, TEST_APP_TOKEN, type Harness, type HarnessOptions } from '../test-support/harness';

let h: Harness | undefined;

afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function start(options: HarnessOptions): Promise<Harness> {
  h = await startHarness(options);
  return h;
}

const openCalls = (harness: Harness) => harness.sim.apiCalls('apps.connections.open').length;

async function readyz(harness: Harness): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${harness.connector.opsPort}/readyz`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Observes for `ms` that a count does not move (the absence of a reconnect loop needs a window). */
async function staysAt(read: () => number, expected: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    assert.equal(read(), expected);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const mention = (text: string) => ({ type: 'events_api' as const, payload: appMentionPayload({ text: `<@U0000002> ${text}` }) });

test('refresh_requested, then warning, under a stream: replacement up before the old socket closes; no envelope waits', { timeout: 30000 }, async () => {
  const harness = await start({ name: 'refresh', sim: { refreshGraceMs: 1000, warningGraceMs: 1000 } });
  const { sim } = harness;
  const stream = sim.injectStream({ count: 300, ratePerSecond: 100, make: (i) => mention(`refresh ${i}`) });
  await waitFor(() => sim.deliveries().length >= 50, { message: 'the stream to be under way' });
  const [first] = sim.refresh({ reason: 'refresh_requested' });
  await waitFor(() => sim.sockets().filter((s) => s.helloAt !== null).length === 3, { message: 'the first replacement' });
  await waitFor(() => sim.deliveries().length >= 200, { message: 'more of the stream' });
  const [second] = sim.refresh({ reason: 'warning' });
  const result = await stream;
  const ids = new Set(result.envelopeIds);
  await waitFor(() => sim.acks().filter((a) => ids.has(a.envelopeId)).length === 300, { timeoutMs: 10000, message: '300 acks' });
  await waitFor(() => sim.sockets().filter((s) => s.state === 'closed').length === 2, { message: 'both old sockets closed' });

  const sockets = sim.sockets();
  assert.equal(sockets.length, 4, 'two sockets plus one replacement per refresh');
  for (const oldId of [first!, second!]) {
    const old = sockets.find((s) => s.id === oldId)!;
    // The next socket of the same slot (another slot's socket proves nothing about this one).
    const replacement = replacementOf(harness.logs.lines, sockets, oldId);
    assert.ok(replacement, `a replacement for ${old.id}`);
    assert.ok(replacement.helloAt !== null && replacement.helloAt < old.closedAt!, `replacement ${replacement.id} had its hello before ${old.id} closed`);
  }
  assert.equal(sim.stats().waitedForSocket, 0, 'no envelope waited for a socket');
  assert.ok(sim.acks().filter((a) => ids.has(a.envelopeId)).every((a) => !a.crossSocket && !a.duplicate));
  assert.equal((await harness.jobs('events')).length, 300);
  assert.equal(await metricValue(harness.connector.registry, 'socketworks_connector_disconnects_total', { reason: 'refresh_requested' }), 1);
  assert.equal(await metricValue(harness.connector.registry, 'socketworks_connector_disconnects_total', { reason: 'warning' }), 1);
  assert.equal(await metricValue(harness.connector.registry, 'socketworks_connector_sockets_open'), 2);
  assert.equal(openCalls(harness), 4, 'one apps.connections.open per socket, no retries');
  assert.equal(harness.logs.find((l) => String(l.msg).startsWith('hello.num_connections differs')).length, 0);
  assert.equal(await metricValue(harness.connector.registry, 'socketworks_connector_num_connections_mismatches_total'), 0);
});

test('a socket no replica holds shows up as a hello.num_connections mismatch (log, gauges, counter)', { timeout: 30000 }, async () => {
  const harness = await start({ name: 'numconn', env: { SLACK_CONNECTIONS: '1' } });
  // Someone else's socket for the same app (another replica, or a leaked one).
  const { openConnectionUrl } = await import('./connections-open');
  const { SocketConnection } = await import('./socket-connection');
  const other = new SocketConnection({
    url: await openConnectionUrl({ apiUrl: harness.sim.apiUrl, appToken: TEST_APP_TOKEN }),
    slot: 9,
    logger: harness.logs.logger,
    metrics: harness.connector.metrics,
    maxFrameBytes: 1024 * 1024,
  });
  try {
    await other.open();
    harness.sim.refresh({ reason: 'refresh_requested', socketId: harness.sim.sockets()[0]!.id });
    const warned = await waitFor(() => harness.logs.find((l) => String(l.msg).startsWith('hello.num_connections differs from the sockets the deployment holds'))[0], {
      message: 'the mismatch warning',
    });
    assert.equal(warned.level, 'warn');
    assert.equal(warned.num_connections, 3);
    assert.equal(warned.deployment_sockets, 2, 'the old (draining) socket and its replacement, as this replica reports them');
    assert.equal(await metricValue(harness.connector.registry, 'socketworks_connector_hello_num_connections'), 3);
    assert.equal(await metricValue(harness.connector.registry, 'socketworks_connector_deployment_sockets'), 2);
    assert.equal(await metricValue(harness.connector.registry, 'socketworks_connector_num_connections_mismatches_total', { direction: 'more' }), 1);
  } finally {
    await other.close();
  }
});

test('refresh of the only socket: make-before-break keeps the gap to one connect (the Node SDK leaves ≥ 5 s)', { timeout: 30000 }, async (t) => {
  const harness = await start({ name: 'refresh1', env: { SLACK_CONNECTIONS: '1' }, sim: { refreshGraceMs: 1000 } });
  const { sim } = harness;
  const stream = sim.injectStream({ count: 200, ratePerSecond: 100, make: (i) => mention(`refresh-one ${i}`) });
  await waitFor(() => sim.deliveries().length >= 50, { message: 'the stream to be under way' });
  const [old] = sim.refresh({ reason: 'refresh_requested' });
  const result = await stream;
  const ids = new Set(result.envelopeIds);
  await waitFor(() => sim.acks().filter((a) => ids.has(a.envelopeId)).length === 200, { timeoutMs: 10000, message: '200 acks' });
  await waitFor(() => sim.sockets().find((s) => s.id === old)!.state === 'closed', { message: 'the old socket closed' });
  const [before, after] = sim.sockets();
  assert.equal(before!.id, old);
  assert.ok(after!.helloAt! < before!.closedAt!, 'the replacement had its hello before the old socket closed');
  // Slack stops sending to a socket once it has sent `disconnect`; with one socket the envelopes of
  // that instant wait for the replacement's hello, i.e. one apps.connections.open + handshake.
  const waits = sim.deliveries().filter((d) => ids.has(d.envelopeId) && d.waitedForSocket).map((d) => d.sentAt! - d.createdAt);
  const maxWait = Math.max(0, ...waits);
  t.diagnostic(`${waits.length} envelopes waited for the replacement, longest ${maxWait.toFixed(1)} ms`);
  assert.ok(maxWait < 1000, `longest wait ${maxWait} ms`);
});

test('an unknown disconnect reason: replaced after a short back-off, counted under its reason', { timeout: 30000 }, async () => {
  const harness = await start({ name: 'unknown', env: { SLACK_CONNECTIONS: '1' }, sim: { refreshGraceMs: 3000 } });
  const [old] = harness.sim.refresh({ reason: 'brand_new_reason' });
  await waitFor(() => harness.sim.sockets().some((s) => s.id !== old && s.helloAt !== null), { message: 'the replacement' });
  const line = harness.logs.find((l) => l.msg === 'unknown disconnect reason: replacing the socket after a back-off')[0];
  assert.ok(line && line.reason === 'brand_new_reason' && (line.retry_in_ms as number) > 0);
  assert.equal(await metricValue(harness.connector.registry, 'socketworks_connector_disconnects_total', { reason: 'brand_new_reason' }), 1);
  const injected = harness.sim.inject(mention('after an unknown reason'));
  await waitFor(() => harness.sim.acks().some((a) => a.envelopeId === injected.envelopeId), { message: 'an ack' });
});

test('drop: the connector reconnects at once and the redelivered events are acked, one job each', { timeout: 30000 }, async (t) => {
  const harness = await start({ name: 'drop', env: { SLACK_CONNECTIONS: '1' }, sim: { redeliveryTimeoutMs: 500 } });
  const { sim, connector } = harness;
  const runner = connector.slots.runner(0);
  // Deliveries sit unread on the socket when it drops, so only a redelivery can bring them in.
  runner.pauseReads();
  const injected = Array.from({ length: 5 }, (_, i) => sim.inject(mention(`drop ${i}`)));
  await waitFor(() => injected.every((i) => sim.deliveries().some((d) => d.envelopeId === i.envelopeId && d.sentAt !== null)), { message: 'five sent' });
  const [dropped] = sim.drop();
  runner.resumeReads();
  await waitFor(() => sim.sockets().some((s) => s.id !== dropped && s.helloAt !== null), { message: 'a new socket' });
  const eventIds = injected.map((i) => i.eventId!);
  await waitFor(() => eventIds.every((id) => sim.deliveries().some((d) => d.eventId === id && d.acked)), { timeoutMs: 10000, message: 'every event acked' });

  const sockets = sim.sockets();
  const old = sockets.find((s) => s.id === dropped)!;
  const next = sockets.find((s) => s.id !== dropped)!;
  t.diagnostic(`new socket's hello ${(next.helloAt! - old.closedAt!).toFixed(1)} ms after the drop`);
  assert.ok(next.helloAt! - old.closedAt! < 1000, `reconnected ${Math.round(next.helloAt! - old.closedAt!)} ms after the drop`);
  const jobs = await harness.jobs('events');
  assert.deepEqual(jobs.map((j) => j.id).sort(), eventIds.map((id) => `ev-${id}`).sort());
  assert.ok(sim.deliveries().some((d) => eventIds.includes(d.eventId!) && d.retryAttempt > 0 && d.acked), 'acked as redeliveries');
});

test('too_many_websockets: no reconnect loop; the refused slot backs off ≥ 60 s', { timeout: 30000 }, async () => {
  // The simulator allows one socket; the connector wants two.
  const harness = await start({ name: 'toomany', sim: { maxSockets: 1 }, waitForSockets: 1 });
  const warned = await waitFor(() => harness.logs.find((l) => l.reason === 'too_many_websockets' && typeof l.retry_in_ms === 'number')[0], {
    message: 'the back-off log line',
  });
  assert.ok((warned.retry_in_ms as number) >= 60000, `backs off ${String(warned.retry_in_ms)} ms`);
  assert.equal(warned.level, 'warn');
  await staysAt(() => openCalls(harness), 2, 1500);
  // A socket that is already open and then told too_many_websockets is closed and not replaced at once.
  harness.sim.refresh({ reason: 'too_many_websockets' });
  await waitFor(() => harness.connector.slots.connectedSlots() === 0, { message: 'the told socket to close' });
  await staysAt(() => openCalls(harness), 2, 1500);
  assert.equal(await metricValue(harness.connector.registry, 'socketworks_connector_disconnects_total', { reason: 'too_many_websockets' }), 2);
  assert.deepEqual(harness.connector.slots.status().map((s) => s.state), ['running', 'running'], 'still running: they come back after the back-off');
});

test('link_disabled: reconnecting stops, readyz answers 503, an operator-level error is logged', { timeout: 30000 }, async () => {
  const harness = await start({ name: 'linkoff' });
  assert.equal((await readyz(harness)).status, 200);
  harness.sim.setLinkDisabled(true);
  await waitFor(() => harness.connector.slots.status().every((s) => s.state === 'link_disabled' && !s.connected), { message: 'both slots disabled' });
  const ready = await readyz(harness);
  assert.equal(ready.status, 503);
  assert.equal(ready.body.halted, 'link_disabled');
  const errors = harness.logs.find((l) => l.level === 'error' && String(l.msg).includes('link_disabled'));
  assert.ok(errors.length >= 1);
  assert.match(String(errors[0]!.msg), /Socket Mode was turned off/);
  await staysAt(() => openCalls(harness), 2, 1500);
});

test('invalid_auth: fatal at once, a clear log line, no retries, readyz 503', { timeout: 30000 }, async () => {
  const harness = await start({
    name: 'badauth',
    waitForSockets: 0,
    beforeConnector: (sim) => sim.setConnectionsOpenError('invalid_auth'),
  });
  const fatal = await waitFor(() => harness.logs.find((l) => l.code === 'ERR_SLACK_AUTH_FATAL')[0], { message: 'the fatal log line' });
  assert.equal(fatal.level, 'error');
  assert.equal(fatal.slack_error, 'invalid_auth');
  assert.match(String(fatal.msg), /SLACK_APP_TOKEN \(invalid_auth\)/);
  assert.ok(!harness.logs.raw.some((l) => l.includes(TEST_APP_TOKEN)));
  await waitFor(() => harness.connector.slots.status().every((s) => s.state === 'auth_failed'), { message: 'both slots halted' });
  // One call per slot at most: the second slot may be halted by the first one's answer before it
  // calls (a loaded machine), never after a retry.
  const calls = openCalls(harness);
  assert.ok(calls >= 1 && calls <= 2, `apps.connections.open called ${calls} times`);
  await staysAt(() => openCalls(harness), calls, 1500);
  const ready = await readyz(harness);
  assert.equal(ready.status, 503);
  assert.equal(ready.body.halted, 'auth_failed');
});

test('invalid_auth while another socket is up: that socket keeps its lease and acks every envelope until Slack closes it; then the lease goes', { timeout: 30000 }, async () => {
  const harness = await start({ name: 'authlive', env: { SLACK_CONNECTIONS: '2', CONNECTOR_LEASE_TTL_MS: '1500' } });
  const { sim, connector } = harness;
  const keeper = connector.leases!.keeper;
  sim.setConnectionsOpenError('invalid_auth');
  const [droppedId, liveId] = sim.sockets().map((s) => s.id) as [string, string];
  sim.drop({ socketId: droppedId });
  await waitFor(() => connector.slots.halted?.reason === 'auth_failed', { message: 'halted' });
  const liveSlot = connector.slots.status().find((s) => s.connected)!.slot;
  // The slot whose socket is gone gives its lease up; the live one keeps it (past a few renewals).
  await waitFor(() => keeper.status().filter((s) => s.lease === 'held').map((s) => s.slot).join() === String(liveSlot), { message: 'only the live slot held' });
  await new Promise((resolve) => setTimeout(resolve, 1500));
  assert.equal(keeper.status()[liveSlot]!.lease, 'held');
  const injected = Array.from({ length: 3 }, (_, i) => sim.inject(mention(`after auth failure ${i}`)));
  const ids = new Set(injected.map((i) => i.envelopeId));
  await waitFor(() => sim.acks().filter((a) => ids.has(a.envelopeId)).length === 3, { message: 'the three acks' });
  assert.ok(sim.deliveries().filter((d) => ids.has(d.envelopeId)).every((d) => d.socketId === liveId && d.retryAttempt === 0 && d.acked), 'acked on the live socket, not redelivered');
  assert.equal((await harness.jobs('events')).length, 3);
  assert.equal(harness.logs.find((l) => String(l.msg).startsWith('slot lease not valid')).length, 0, 'no ack fenced');
  // Slack closes the last socket: no reconnect, and its lease is released.
  sim.drop({ socketId: liveId });
  await waitFor(() => keeper.status().every((s) => s.lease === 'none'), { message: 'every lease released' });
  await staysAt(() => openCalls(harness), 3, 1000);
});

test('ratelimited (429, Retry-After) then internal_error: retried with back-off until the socket opens', { timeout: 30000 }, async () => {
  const harness = await start({
    name: 'retry',
    env: { SLACK_CONNECTIONS: '1' },
    waitForSockets: 0,
    deps: { timings: { reconnectBaseMs: 100 } },
    beforeConnector: (sim) => {
      sim.setRateLimit({ method: 'apps.connections.open', count: 2, retryAfterSeconds: 1 });
      sim.setConnectionsOpenError('internal_error', { count: 2 });
    },
  });
  await waitFor(() => harness.connector.slots.connectedSlots() === 1, { timeoutMs: 15000, message: 'the socket after retries' });
  const calls = harness.sim.apiCalls('apps.connections.open');
  assert.deepEqual(calls.map((c) => c.error ?? 'ok'), ['ratelimited', 'ratelimited', 'internal_error', 'internal_error', 'ok']);
  assert.ok(calls[1]!.at - calls[0]!.at >= 1000, 'Retry-After honoured');
  assert.equal(await metricValue(harness.connector.registry, 'socketworks_connector_connections_open_errors_total', { error: 'ratelimited' }), 2);
  assert.equal(await metricValue(harness.connector.registry, 'socketworks_connector_connections_open_errors_total', { error: 'internal_error' }), 2);
  assert.equal((await readyz(harness)).status, 200);
  const injected = harness.sim.inject(mention('after retries'));
  await waitFor(() => harness.sim.acks().some((a) => a.envelopeId === injected.envelopeId), { message: 'an ack' });
});

test('a Retry-After past what a timer holds waits the capped hour: no retry loop', { timeout: 30000 }, async () => {
  const harness = await start({
    name: 'retry-huge',
    env: { SLACK_CONNECTIONS: '1' },
    waitForSockets: 0,
    beforeConnector: (sim) => sim.setRateLimit({ method: 'apps.connections.open', count: 5, retryAfterSeconds: 1e10 }),
  });
  await waitFor(() => openCalls(harness) === 1, { message: 'the first apps.connections.open' });
  await staysAt(() => openCalls(harness), 1, 1000);
  await waitFor(() => harness.logs.find((l) => l.msg === 'apps.connections.open failed: will retry').length === 1, { message: 'the retry warning' });
  assert.equal(harness.logs.find((l) => l.msg === 'apps.connections.open failed: will retry')[0]!.retry_in_ms, 3600000);
});

test('stop(): in-flight envelopes are acked before the sockets close with 1000; every acked envelope is a job', { timeout: 30000 }, async () => {
  const harness = await start({ name: 'stop' });
  const { sim } = harness;
  const stream = sim.injectStream({ count: 200, ratePerSecond: 400, make: (i) => mention(`stop ${i}`) });
  await waitFor(() => sim.acks().length >= 50, { message: 'the stream under way' });
  await harness.connector.stop();
  await stream;
  const sockets = sim.sockets();
  assert.ok(sockets.every((s) => s.state === 'closed' && s.closeCode === 1000), JSON.stringify(sockets.map((s) => [s.closeReason, s.closeCode])));
  const acked = new Set(sim.acks().map((a) => a.envelopeId));
  const jobs = new Set((await harness.jobs('events')).map((j) => String(j.data.envelope_id)));
  assert.deepEqual([...acked].filter((id) => !jobs.has(id)), [], 'an acked envelope has no job');
  assert.equal(harness.logs.find((l) => l.msg === 'job enqueued but ack not written: socket gone').length, 0);
});
