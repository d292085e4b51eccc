// A private redis-server (with an append-only file, so its data survives) killed and started again
// under load, with two connector processes on it: they recover without a restart, and nothing
// that was acked is lost — every acked envelope's job exists afterwards, one job per event.
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appMentionPayload, blockActionsPayload, slashCommandPayload } from '@socketworks/slack-sim';
import { startPrivateRedis, waitFor, type PrivateRedis } from '@socketworks/testing';
import { startHarness } from '../test-support/harness';
import { metricValue } from '../test-support/log-capture';
import { ReplicaSet } from '../test-support/replicas';

let redis: PrivateRedis;
let set: ReplicaSet | undefined;

before(async () => {
  redis = await startPrivateRedis({ persist: true });
});

afterEach(async () => {
  await set?.close();
  set = undefined;
});

after(async () => {
  await redis?.stop();
});

test('Redis killed and restarted under load: the replicas recover on their own; every acked envelope is a job, one per event', { timeout: 60000 }, async (t) => {
  set = await ReplicaSet.start({
    name: 'redisrestart',
    redisUrl: redis.url,
    // Enough redeliveries to outlast the outage (Slack's own schedule is +0, +1 min, +5 min).
    sim: { redeliveryTimeoutMs: 1000, maxRedeliveries: 20 },
    env: { CONNECTOR_ENQUEUE_TIMEOUT_MS: '500' },
  });
  const { a, b } = await set.addPair();
  const pids = [a.proc.child.pid, b.proc.child.pid];

  const eventIds: string[] = [];
  const stream = set.sim.injectStream({
    count: 2000,
    ratePerSecond: 200,
    make: () => {
      const payload = appMentionPayload({ text: '<@U0000002> redis restart' });
      eventIds.push(String(payload.event_id));
      return { type: 'events_api', payload };
    },
  });
  await waitFor(() => eventIds.length >= 600, { timeoutMs: 10000, message: 'the stream under way' });
  await redis.stop();
  const downAt = Date.now();
  const ackedBeforeKill = new Set(set.sim.deliveries().filter((d) => d.acked).map((d) => d.eventId!));
  await waitFor(() => a.proc.logs.some((l) => l.msg === 'enqueue failed: envelope not acked'), { message: 'enqueues failing while Redis is down' });
  await new Promise((resolve) => setTimeout(resolve, 1000)); // an outage of ~1 s: most of a lease TTL
  await redis.start();
  const downForMs = Date.now() - downAt;
  await stream;

  await waitFor(() => {
    const acked = new Set(set!.sim.deliveries().filter((d) => d.acked).map((d) => d.eventId));
    return eventIds.every((id) => acked.has(id));
  }, { timeoutMs: 30000, message: 'every event acked after the restart' });
  assert.deepEqual([a.proc.child.pid, b.proc.child.pid], pids);
  assert.ok(!a.proc.exited() && !b.proc.exited(), 'no restart');
  const { missing, jobs } = await set.eventsWithoutJob(eventIds);
  assert.deepEqual(missing.filter((id) => ackedBeforeKill.has(id)), [], 'an envelope acked before the kill lost its job');
  assert.deepEqual(missing, [], 'every acked envelope has its job');
  assert.equal(jobs, 2000, 'one job per event');
  const stats = set.sim.stats();
  assert.equal(stats.gaveUp, 0);
  // Acked again after the restart, on both replicas' sockets or through a re-taken slot.
  assert.ok(set.sim.acks().some((ack) => ack.receivedAt > downAt + downForMs), 'acks resumed after the restart');
  const events = (l: { msg?: string }) =>
    ['slot lease lapsed (Redis unreachable): socket kept open, no ack until the lease is renewed', 'slot lease had vanished from Redis: taken again', 'slot lease lost: closing its socket at once', 'slot lease renewed again after a lapse'].includes(String(l.msg));
  const leaseLines = [...a.proc.logs, ...b.proc.logs].filter(events).map((l) => String(l.msg));
  t.diagnostic(
    `Redis down ${downForMs} ms; ${ackedBeforeKill.size} events acked before the kill, all kept; ${stats.redelivered} redeliveries; lease events: ${JSON.stringify(leaseLines)}; sim ack latency p99 ${stats.ackLatencyMs.p99.toFixed(1)} ms`,
  );
});

test('Redis unreachable past the lease TTL: sockets stay open (nothing acked) up to CONNECTOR_UNLEASED_SOCKET_MAX_MS, then close; back when Redis is', { timeout: 60000 }, async (t) => {
  set = await ReplicaSet.start({
    name: 'unleased',
    redisUrl: redis.url,
    sim: { redeliveryTimeoutMs: 1000, maxRedeliveries: 30 },
    env: { CONNECTOR_ENQUEUE_TIMEOUT_MS: '300', CONNECTOR_UNLEASED_SOCKET_MAX_MS: '2500' },
  });
  const a = await set.add('connector-a');
  await set.waitForSplit([[a, 2]]);
  const open = () => set!.sim.sockets().filter((s) => s.state === 'open').length;
  await redis.stop();
  const downAt = Date.now();
  const lapsed = await a.proc.waitForLog((l) => l.msg === 'slot lease lapsed (Redis unreachable): socket kept open, no ack until the lease is renewed', { timeoutMs: 5000 });
  const lapsedAfterMs = Date.parse(String(lapsed.time)) - downAt;
  // Past the TTL the sockets are still there: Slack keeps delivering (and redelivering) events to them.
  assert.equal(open(), 2, 'sockets kept while the lease is lapsed');
  const injected = set.sim.inject({ type: 'events_api', payload: appMentionPayload({ text: '<@U0000002> while Redis is down' }) });
  await a.proc.waitForLog((l) => l.msg === 'slot lease lapsed too long: closing its socket until Redis answers again', { timeoutMs: 8000 });
  await waitFor(() => open() === 0, { message: 'the sockets to close' });
  const closedAfterMs = Date.now() - downAt;
  assert.ok(!set.sim.acks().some((ack) => ack.receivedAt > downAt), 'nothing acked while Redis was down');
  await redis.start();
  await waitFor(() => open() === 2, { timeoutMs: 15000, message: 'the sockets back' });
  await waitFor(() => set!.sim.deliveries().some((d) => d.eventId === injected.eventId && d.acked), { timeoutMs: 15000, message: 'the event of the outage acked' });
  const { missing } = await set.eventsWithoutJob([injected.eventId!]);
  assert.deepEqual(missing, []);
  t.diagnostic(`lease lapsed ${lapsedAfterMs} ms after Redis went down (TTL 1500), sockets closed ${closedAfterMs} ms after (unleased max 2500)`);
});

test('Redis down: interactive payloads and slash commands are not acked either (the user sees Slack\'s error, nothing is lost silently)', { timeout: 30000 }, async () => {
  const h = await startHarness({ name: 'downkinds', redisUrl: redis.url, env: { CONNECTOR_ENQUEUE_TIMEOUT_MS: '300', SYNC_ACK_BUDGET_MS: '0' }, logLevel: 'info' });
  try {
    await redis.stop();
    const click = h.sim.inject({ type: 'interactive', payload: blockActionsPayload({ actions: [{ action_id: 'approve', value: 'v' }] }) });
    const command = h.sim.inject({ type: 'slash_commands', payload: slashCommandPayload({ command: '/deploy', text: 'api' }) });
    await waitFor(() => h.logs.find((l) => l.msg === 'enqueue failed: envelope not acked').length >= 2, { message: 'both enqueues to fail' });
    assert.equal(await metricValue(h.connector.registry, 'socketworks_connector_enqueue_failures_total', { type: 'interactive' }), 1);
    assert.equal(await metricValue(h.connector.registry, 'socketworks_connector_enqueue_failures_total', { type: 'slash_commands' }), 1);
    assert.deepEqual(h.sim.acks().filter((a) => a.envelopeId === click.envelopeId || a.envelopeId === command.envelopeId), [], 'neither acked');
  } finally {
    await redis.start();
    await h.close();
  }
});
