// Socket churn under load, two real connector processes holding one slot each: Slack refreshing a
// socket every second, and sockets dropped without a close frame every 2 s. Refreshes are
// make-before-break (nothing waits, nothing is redelivered); drops lose only acks, and the
// simulator's redeliveries are enqueued once (one job per event_id).
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { appMentionPayload, type SlackSimOptions } from '@socketworks/slack-sim';
import { waitFor } from '@socketworks/testing';
import { replacementOf } from '../test-support/log-capture';
import { ReplicaSet } from '../test-support/replicas';

let set: ReplicaSet | undefined;

afterEach(async () => {
  await set?.close();
  set = undefined;
});

function streamOf(eventIds: string[], text: string) {
  return () => {
    const payload = appMentionPayload({ text: `<@U0000002> ${text}` });
    eventIds.push(String(payload.event_id));
    return { type: 'events_api' as const, payload };
  };
}

async function twoReplicas(name: string, sim: SlackSimOptions): Promise<ReplicaSet> {
  set = await ReplicaSet.start({ name, sim });
  await set.addPair();
  return set;
}

test('refresh_requested every second for 30 s under 500 envelopes/s: all acked, none waited, none redelivered, one job each', { timeout: 90000 }, async (t) => {
  const replicas = await twoReplicas('refresh30', { redeliveryTimeoutMs: 3000, maxRedeliveries: 3, refreshGraceMs: 3000 });
  const { sim } = replicas;
  const eventIds: string[] = [];
  const make = streamOf(eventIds, 'refresh');
  const stream = sim.injectStream({ count: 15000, ratePerSecond: 500, make: () => make() });
  const refreshed: string[] = [];
  const timer = setInterval(() => refreshed.push(...sim.refresh({ reason: 'refresh_requested' })), 1000);
  let result;
  try {
    result = await stream;
  } finally {
    clearInterval(timer);
  }
  assert.equal(result.injected, 15000);
  await waitFor(() => sim.stats().acked >= 15000, { timeoutMs: 20000, message: '15,000 acks' });

  const stats = sim.stats();
  assert.ok(refreshed.length >= 29, `${refreshed.length} refreshes`);
  assert.equal(stats.sent, 15000, 'every envelope sent once');
  assert.equal(stats.unacked, 0, 'every envelope acked');
  assert.equal(stats.waitedForSocket, 0, 'no envelope waited for a socket');
  assert.equal(stats.redelivered, 0, 'none redelivered');
  assert.equal(stats.duplicateAcks, 0);
  const { missing, jobs } = await replicas.eventsWithoutJob(eventIds);
  assert.deepEqual(missing, []);
  assert.equal(jobs, 15000, 'one job per event');
  // Each refreshed socket closed only after the next socket of its slot had its hello.
  const sockets = sim.sockets();
  const lines = replicas.replicas.flatMap((r) => r.proc.logs);
  for (const id of refreshed) {
    const old = sockets.find((s) => s.id === id)!;
    if (old.closedAt === null) continue;
    const replacement = replacementOf(lines, sockets, id);
    assert.ok(replacement?.helloAt != null && replacement.helloAt < old.closedAt, `the socket replacing ${id} had its hello before ${id} closed`);
  }
  t.diagnostic(
    `${refreshed.length} refreshes, ${sockets.length} sockets in all, at most ${replicas.openMax} open at once; sim ack latency p50 ${stats.ackLatencyMs.p50.toFixed(2)} ms, p99 ${stats.ackLatencyMs.p99.toFixed(2)} ms, max ${stats.ackLatencyMs.max.toFixed(1)} ms`,
  );
});

test('a socket dropped (no close frame) every 2 s under load, right behind a burst: every event handled exactly once', { timeout: 60000 }, async (t) => {
  const replicas = await twoReplicas('drops', { redeliveryTimeoutMs: 1000, maxRedeliveries: 10 });
  const { sim } = replicas;
  const eventIds: string[] = [];
  const make = streamOf(eventIds, 'drop');
  const stream = sim.injectStream({ count: 3000, ratePerSecond: 300, make: () => make() });
  const dropped: string[] = [];
  // Each drop comes right behind a burst, in the same tick: some of the burst is on the dropped
  // socket, sent or still in its buffers, and can only come back as a redelivery.
  const timer = setInterval(() => {
    for (let i = 0; i < 40; i++) sim.inject(make());
    dropped.push(...sim.drop());
  }, 2000);
  try {
    await stream;
  } finally {
    clearInterval(timer);
  }
  const acked = () => {
    const done = new Set(sim.deliveries().filter((d) => d.acked).map((d) => d.eventId));
    return eventIds.every((id) => done.has(id));
  };
  await waitFor(acked, { timeoutMs: 30000, message: 'every event acked (redeliveries included)' });
  const stats = sim.stats();
  assert.ok(dropped.length >= 4, `${dropped.length} drops`);
  // Envelopes cut off by a drop come back as redeliveries, or — when the connector read them before
  // the cut — get acked on another socket. Either way the drops hit envelopes in flight.
  assert.ok(stats.redelivered + stats.crossSocketAcks > 0, 'the drops left envelopes unacked on their socket');
  assert.equal(stats.gaveUp, 0, 'no event ran out of redeliveries');
  const { missing, jobs } = await replicas.eventsWithoutJob(eventIds);
  assert.deepEqual(missing, []);
  assert.equal(jobs, eventIds.length, 'exactly one job per event');
  t.diagnostic(
    `${dropped.length} drops; ${stats.redelivered} redeliveries and ${stats.crossSocketAcks} acks on another socket (unacked when their socket dropped), all enqueued once; sim ack latency p50 ${stats.ackLatencyMs.p50.toFixed(2)} ms, p99 ${stats.ackLatencyMs.p99.toFixed(2)} ms`,
  );
});
