// Redis goes away while envelopes arrive. The invariant under test: nothing is acked that is not
// in Redis. Envelopes that arrive during the outage stay unacked; once Redis is back the connector
// (same process, same sockets) enqueues Slack's redeliveries and acks them, one job per event.
//
// startPrivateRedis() keeps no data across a stop (SIGKILL, no persistence), so the test takes
// the queue's job ids before the outage and reads the fresh server's after it.
import { readFileSync } from 'node:fs';
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appMentionPayload } from '@socketworks/slack-sim';
import { startPrivateRedis, waitFor, type PrivateRedis } from '@socketworks/testing';
import { histogramCount, metricValue } from '../test-support/log-capture';
import { startHarness, type Harness } from '../test-support/harness';

let redis: PrivateRedis;
let h: Harness | undefined;

before(async () => {
  redis = await startPrivateRedis();
});

afterEach(async () => {
  await h?.close();
  h = undefined;
});

after(async () => {
  await redis?.stop();
});

/** Each test: its own simulator, queue prefix and connector, on the private Redis. */
async function startOutageHarness(): Promise<Harness> {
  h = await startHarness({
    name: 'outage',
    redisUrl: redis.url,
    // Enough redeliveries to outlast the outage (Slack's own schedule is +0, +1 min, +5 min).
    sim: { redeliveryTimeoutMs: 500, maxRedeliveries: 40 },
    env: { CONNECTOR_ENQUEUE_TIMEOUT_MS: '300' },
    logLevel: 'info',
  });
  return h;
}

/**
 * Runs `during` with the private Redis server stopped (SIGSTOP: its connections stay up, nothing is
 * answered), then lets it go on. Returns once the kernel reports the server stopped, so `during`
 * never races the signal.
 */
async function whileRedisStopped<T>(during: () => Promise<T>): Promise<T> {
  const { Redis } = await import('ioredis');
  const admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  let pid: number;
  try {
    pid = Number(/process_id:(\d+)/.exec(await admin.info('server'))?.[1]);
  } finally {
    admin.disconnect();
  }
  assert.ok(pid > 0);
  process.kill(pid, 'SIGSTOP');
  try {
    await waitFor(() => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('T'), { message: 'Redis stopped' });
    return await during();
  } finally {
    process.kill(pid, 'SIGCONT');
  }
}

test('Redis stopped under a stream: unacked while down, recovered without restart, every event_id a job exactly once', { timeout: 60000 }, async (t) => {
  const h = await startOutageHarness();
  const eventIds: string[] = [];
  const make = (phase: string) => (i: number) => {
    const payload = appMentionPayload({ text: `<@U0000002> ${phase} ${i}` });
    eventIds.push(String(payload.event_id));
    return { type: 'events_api' as const, payload };
  };

  // Before: 50 events, all acked and in Redis.
  const before = await h.sim.injectStream({ count: 50, ratePerSecond: 100, make: make('before') });
  const beforeIds = new Set(before.envelopeIds);
  await waitFor(() => h.sim.acks().filter((a) => beforeIds.has(a.envelopeId)).length === 50, { message: 'the first 50 acked' });
  const jobsBefore = await h.jobs('events');
  assert.equal(jobsBefore.length, 50);

  // Outage: Redis dies; a stream of 100 events at 50/s starts; Redis comes back mid-stream.
  await redis.stop();
  const stopAt = Date.now();
  const stream = h.sim.injectStream({ count: 100, ratePerSecond: 50, make: make('during') });
  // Down until half the stream has been injected (~1 s) and at least 20 enqueues have failed.
  await waitFor(
    async () =>
      eventIds.length >= 100 && (await metricValue(h.connector.registry, 'socketworks_connector_enqueue_failures_total', { type: 'events_api' })) >= 20,
    { timeoutMs: 10000, message: 'enqueue failures while Redis is down' },
  );
  const failuresWhileDown = h.logs.find((l) => l.msg === 'enqueue failed: envelope not acked');
  assert.ok(failuresWhileDown.every((l) => l.level === 'error' && typeof l.envelope_id === 'string' && typeof l.event_id === 'string'));
  assert.equal(await readyz(h), 503, 'not ready while Redis is down');
  await redis.start();
  const downForMs = Date.now() - stopAt;
  const result = await stream;
  assert.equal(result.injected, 100);

  // Recovery: every event's latest delivery is acked; the new server holds exactly the 100.
  const duringIds = new Set(eventIds.slice(50));
  await waitFor(() => {
    const byEvent = new Map<string, boolean>();
    for (const d of h.sim.deliveries()) if (duringIds.has(d.eventId!)) byEvent.set(d.eventId!, (byEvent.get(d.eventId!) ?? false) || d.acked);
    return byEvent.size === 100 && [...byEvent.values()].every(Boolean);
  }, { timeoutMs: 30000, message: 'every event delivered during the outage acked' });
  const jobsAfter = await h.jobs('events');
  const jobIdsAfter = jobsAfter.map((j) => j.id).sort();
  assert.deepEqual(jobIdsAfter, [...duringIds].map((id) => `ev-${id}`).sort(), 'the 100 events of the outage, each once');
  const all = [...jobsBefore, ...jobsAfter].map((j) => j.id);
  assert.equal(new Set(all).size, 150);
  assert.deepEqual(new Set(all), new Set(eventIds.map((id) => `ev-${id}`)), 'every injected event_id is a job');

  // The invariant: no envelope whose enqueue failed was acked.
  const failedEnvelopes = new Set(h.logs.find((l) => l.msg === 'enqueue failed: envelope not acked').map((l) => String(l.envelope_id)));
  assert.ok(failedEnvelopes.size >= 20);
  const ackedEnvelopes = new Set(h.sim.acks().map((a) => a.envelopeId));
  assert.deepEqual([...failedEnvelopes].filter((id) => ackedEnvelopes.has(id)), [], 'an envelope that failed to enqueue was acked');
  assert.ok(h.sim.deliveries().some((d) => duringIds.has(d.eventId!) && d.retryAttempt > 0 && d.acked), 'redeliveries were acked');
  assert.equal(h.logs.find((l) => l.msg === 'socket closed').length, 0, 'the sockets stayed up throughout');
  await waitFor(async () => (await readyz(h)) === 200, { message: 'ready again' });
  t.diagnostic(`Redis down ${downForMs} ms; ${failedEnvelopes.size} envelopes left unacked and redelivered`);
});

test('Redis down long enough for the reconnect back-off to reach its cap: acks resume within about a second of its return', { timeout: 60000 }, async (t) => {
  const h = await startOutageHarness();
  const mention = (text: string) => ({ type: 'events_api' as const, payload: appMentionPayload({ text: `<@U0000002> ${text}` }) });
  const first = h.sim.inject(mention('before'));
  await waitFor(() => h.sim.acks().some((a) => a.envelopeId === first.envelopeId), { message: 'acked before the outage' });
  await redis.stop();
  // 100 ms doubling: past 6 s every connection's back-off is at its cap.
  await new Promise((r) => setTimeout(r, 6500));
  await redis.start();
  const backAt = Date.now();
  // A fresh envelope every 100 ms until one is acked: the first ack after Redis returned.
  let ackedAt: number | undefined;
  while (ackedAt === undefined && Date.now() - backAt < 10000) {
    const probe = h.sim.inject(mention(`probe ${Date.now()}`));
    await new Promise((r) => setTimeout(r, 100));
    ackedAt = h.sim.acks().find((a) => a.envelopeId === probe.envelopeId)?.receivedAt;
  }
  assert.ok(ackedAt !== undefined, 'acks resumed');
  const resumedAfterMs = ackedAt - backAt;
  t.diagnostic(`first ack ${resumedAfterMs} ms after Redis was back`);
  // Back-off cap 1 s + 20% jitter, plus the lease renewal; the old 5 s cap took up to 6 s.
  assert.ok(resumedAfterMs < 2500, `acks resumed ${resumedAfterMs} ms after Redis returned`);
});

test('a Redis that hangs: the enqueue times out (CONNECTOR_ENQUEUE_TIMEOUT_MS), no ack; the redelivery finds the job and is acked', { timeout: 30000 }, async () => {
  const h = await startOutageHarness();
  const failuresBefore = await metricValue(h.connector.registry, 'socketworks_connector_enqueue_failures_total', { type: 'events_api' });
  const duplicatesBefore = await metricValue(h.connector.registry, 'socketworks_connector_duplicates_total');
  // The server stops answering until the enqueue has timed out: every command waits.
  const injected = await whileRedisStopped(async () => {
    const sent = h.sim.inject({ type: 'events_api', payload: appMentionPayload({ text: '<@U0000002> while Redis hangs' }) });
    await waitFor(() => h.logs.find((l) => l.msg === 'enqueue failed: envelope not acked' && l.envelope_id === sent.envelopeId).length > 0, {
      timeoutMs: 5000,
      message: 'the enqueue to time out',
    });
    return sent;
  });
  await waitFor(() => h.sim.deliveries().filter((d) => d.eventId === injected.eventId).some((d) => d.acked), { timeoutMs: 10000, message: 'a delivery acked' });
  const first = h.sim.deliveries().find((d) => d.envelopeId === injected.envelopeId)!;
  assert.equal(first.acked, false, 'the delivery whose enqueue timed out was not acked');
  assert.ok((await metricValue(h.connector.registry, 'socketworks_connector_enqueue_failures_total', { type: 'events_api' })) > failuresBefore);
  const timedOut = h.logs.find((l) => l.msg === 'enqueue failed: envelope not acked' && l.envelope_id === injected.envelopeId);
  assert.equal(timedOut.length, 1);
  // The add reached Redis after all (it ran when the server woke): the redelivery is a duplicate.
  assert.ok((await metricValue(h.connector.registry, 'socketworks_connector_duplicates_total')) >= duplicatesBefore + 1);
  assert.equal((await h.jobs('events')).filter((j) => j.id === `ev-${injected.eventId}`).length, 1);
});

test('a Redis that stalls for 300 ms: the enqueue waits it out within the timeout, and its round trip is what the enqueue histogram shows', { timeout: 30000 }, async () => {
  const stalled = (h = await startHarness({ name: 'stall', redisUrl: redis.url, sim: { redeliveryTimeoutMs: 5000 }, env: { CONNECTOR_ENQUEUE_TIMEOUT_MS: '2000' } }));
  const name = 'socketworks_connector_enqueue_duration_seconds';
  const injected = await whileRedisStopped(async () => {
    const sent = stalled.sim.inject({ type: 'events_api', payload: appMentionPayload({ text: '<@U0000002> while Redis stalls' }) });
    // The stall counts from the moment the connector has the envelope in flight (its enqueue sent).
    await waitFor(async () => (await metricValue(stalled.connector.registry, 'socketworks_connector_inflight_enqueues')) >= 1, { message: 'the envelope in flight' });
    await new Promise((r) => setTimeout(r, 300));
    return sent;
  });
  await waitFor(() => stalled.sim.acks().some((a) => a.envelopeId === injected.envelopeId), { timeoutMs: 5000, message: 'the ack' });
  assert.equal(await histogramCount(stalled.connector.registry, name, { queue: 'events' }), 1);
  assert.equal(await metricValue(stalled.connector.registry, name, { queue: 'events', le: '0.25' }), 0, 'the stall is in the round trip');
  assert.equal(await metricValue(stalled.connector.registry, name, { queue: 'events', le: '2.5' }), 1);
  assert.equal(await metricValue(stalled.connector.registry, 'socketworks_connector_enqueue_failures_total', { type: 'events_api' }), 0);
});

test('back-pressure: past the in-flight bound the sockets stop reading, nothing is dropped, all is acked once Redis answers', { timeout: 30000 }, async () => {
  const bounded = (h = await startHarness({
    name: 'bound',
    redisUrl: redis.url,
    sim: { redeliveryTimeoutMs: 1000, maxRedeliveries: 20 },
    env: { SLACK_CONNECTIONS: '1', CONNECTOR_ENQUEUE_TIMEOUT_MS: '2000' },
    deps: { maxInFlight: 10 },
    logLevel: 'info',
  }));
  const { Redis } = await import('ioredis');
  const admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  try {
    const pid = Number(/process_id:(\d+)/.exec(await admin.info('server'))?.[1]);
    process.kill(pid, 'SIGSTOP');
    const injected: string[] = [];
    try {
      // 30 envelopes over ~300 ms while every enqueue hangs (2 s timeout): the first 10 fill the
      // bound, then the socket stops reading and the rest stay unread, not in memory.
      await bounded.sim.injectStream({
        count: 30,
        ratePerSecond: 100,
        make: (i) => {
          const payload = appMentionPayload({ text: `<@U0000002> bound ${i}` });
          injected.push(String(payload.event_id));
          return { type: 'events_api', payload };
        },
      });
      await waitFor(() => bounded.connector.ingestor.saturated, { message: 'the bound to be reached' });
      const inFlight = bounded.connector.ingestor.inFlight;
      assert.ok(inFlight >= 10 && inFlight < 20, `${inFlight} in flight: reading stopped near the bound of 10`);
      assert.equal(bounded.sim.deliveries().filter((d) => d.sentAt !== null).length >= 30, true, 'all 30 were sent to the socket');
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    await waitFor(() => injected.every((id) => bounded.sim.deliveries().some((d) => d.eventId === id && d.acked)), { timeoutMs: 20000, message: 'all 30 acked' });
    assert.ok(bounded.logs.find((l) => l.msg === 'in-flight bound reached: pausing socket reads').length >= 1);
    assert.ok(bounded.logs.find((l) => l.msg === 'in-flight work drained: resuming socket reads').length >= 1);
    const jobs = (await bounded.jobs('events')).map((j) => j.id).sort();
    assert.deepEqual(jobs, injected.map((id) => `ev-${id}`).sort());
    assert.equal(bounded.logs.find((l) => l.msg === 'socket closed').length, 0, 'the paused socket was not taken for dead');
  } finally {
    admin.disconnect();
  }
});

async function readyz(harness: Harness): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${harness.connector.opsPort}/readyz`);
  await res.text();
  return res.status;
}
