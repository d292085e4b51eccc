// Slot ownership across real connector processes: replicas spread the slots; a replica killed
// with SIGKILL has its slots taken over within the lease TTL; a replica paused (SIGSTOP) past its
// TTL closes its socket on SIGCONT instead of acking on a slot it no longer owns.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { appMentionPayload } from '@socketworks/slack-sim';
import { waitFor } from '@socketworks/testing';
import { ReplicaSet, TEST_LEASE_TTL_MS } from '../test-support/replicas';

let set: ReplicaSet | undefined;

afterEach(async () => {
  await set?.close();
  set = undefined;
});

const mention = (eventIds: string[], text: string) => () => {
  const payload = appMentionPayload({ text: `<@U0000002> ${text}` });
  eventIds.push(String(payload.event_id));
  return { type: 'events_api' as const, payload };
};

/** Every event's latest delivery acked (the simulator redelivers what was not). */
function allAcked(set: ReplicaSet, eventIds: string[]): boolean {
  const acked = new Set(set.sim.deliveries().filter((d) => d.acked).map((d) => d.eventId));
  return eventIds.every((id) => acked.has(id));
}

test('two replicas split two slots; kill -9 of one: the other owns both within the TTL, every event one job, never more than slots + 1 sockets', { timeout: 60000 }, async (t) => {
  set = await ReplicaSet.start({ name: 'kill9', sim: { redeliveryTimeoutMs: 1000, maxRedeliveries: 10 } });
  // A is over its target (ceil(2/2) = 1) and hands one slot to B, make-before-break.
  const { a, b } = await set.addPair();
  // The split is read from /readyz; the log lines that say how it came about may still be in the
  // processes' stdout pipes.
  await b.proc.waitForLog((l) => l.msg === 'slot taken over', { timeoutMs: 5000, message: 'B took its slot over from A (transfer)' });
  await a.proc.waitForLog((l) => l.msg === 'slot handed over: closing our socket after its last acks', { timeoutMs: 5000 });

  const eventIds: string[] = [];
  const make = mention(eventIds, 'kill9');
  const stream = set.sim.injectStream({ count: 1500, ratePerSecond: 250, make: () => make() });
  await waitFor(() => eventIds.length >= 500, { message: 'the stream under way' });
  const aSockets = new Set(set.sim.sockets().filter((s) => s.state === 'open').map((s) => s.id));
  const killedAt = Date.now();
  a.proc.child.kill('SIGKILL');
  await waitFor(() => a.proc.exited(), { message: 'A to die' });
  await waitFor(async () => (await b.heldSlots())?.length === 2, { timeoutMs: 5000, message: 'B to own both slots' });
  const takeover = await waitFor(() => set!.sim.sockets().find((s) => !aSockets.has(s.id) && s.helloAt !== null && s.openedAt > killedAt), {
    message: "B's new socket",
  });
  const takeoverMs = takeover.helloAt! - killedAt;
  t.diagnostic(`takeover: B's new socket had its hello ${Math.round(takeoverMs)} ms after kill -9 (lease TTL ${TEST_LEASE_TTL_MS} ms)`);
  assert.ok(takeoverMs < TEST_LEASE_TTL_MS + 500, `takeover took ${Math.round(takeoverMs)} ms`);

  await stream;
  await waitFor(() => allAcked(set!, eventIds), { timeoutMs: 20000, message: 'every event acked' });
  const { missing, jobs } = await set.eventsWithoutJob(eventIds);
  assert.deepEqual(missing, []);
  assert.equal(jobs, 1500, 'one job per event');
  assert.deepEqual(set.overLimit(3), [], 'never more than 2 slots + 1 overlap sockets open');
  assert.equal(set.sim.stats().waitedForSocket, 0, 'B kept serving while A was dead');
  const latency = set.sim.stats().ackLatencyMs;
  t.diagnostic(`sim ack latency p50 ${latency.p50.toFixed(2)} ms, p99 ${latency.p99.toFixed(2)} ms, max ${latency.max.toFixed(1)} ms; redelivered ${set.sim.stats().redelivered}`);
});

test('SIGSTOP of a lease holder past its TTL, then SIGCONT: it closes its socket instead of acking; no double ownership', { timeout: 60000 }, async (t) => {
  set = await ReplicaSet.start({ name: 'sigstop', sim: { redeliveryTimeoutMs: 1000, maxRedeliveries: 20 } });
  const { a, b, bJoinedAt } = await set.addPair();
  // A's socket is the one open since before B started (B's was opened by the handover).
  const aSocket = set.sim.sockets().find((s) => s.state === 'open' && s.openedAt < bJoinedAt);
  assert.ok(aSocket, "A's socket");

  const eventIds: string[] = [];
  const make = mention(eventIds, 'sigstop');
  const stream = set.sim.injectStream({ count: 1200, ratePerSecond: 200, make: () => make() });
  await waitFor(() => eventIds.length >= 200, { message: 'the stream under way' });
  assert.ok(set.sim.acks().some((ack) => ack.socketId === aSocket.id), 'A acked on its socket before the pause');
  a.proc.child.kill('SIGSTOP');
  // The signal takes effect asynchronously: wait until the kernel reports A stopped.
  await waitFor(() => readFileSync(`/proc/${a.proc.child.pid}/stat`, 'utf8').split(') ')[1]?.startsWith('T'), { message: 'A stopped' });
  const stoppedAt = Date.now();
  // B takes A's slot once A's lease expires. A's socket stays open (A is paused, not dead), so the
  // simulator keeps writing to it: those frames wait, unread, in A's buffers.
  await waitFor(async () => (await b.heldSlots())?.length === 2, { timeoutMs: 10000, message: 'B to own both slots' });
  const tookOverMs = Date.now() - stoppedAt;
  const waitingOnA = () => set!.sim.deliveries().filter((d) => d.socketId === aSocket.id && d.sentAt! > stoppedAt && !d.acked).length;
  await waitFor(() => waitingOnA() >= 20, { message: 'envelopes sent to the paused replica' });
  const sentToPausedA = waitingOnA();
  const continuedAt = Date.now();
  a.proc.child.kill('SIGCONT');

  const lost = await a.proc.waitForLog((l) => l.msg === 'slot lease lost: closing its socket at once', { timeoutMs: 5000 });
  assert.equal(lost.reason, 'taken');
  await waitFor(() => set!.sim.sockets().find((s) => s.id === aSocket.id)?.state === 'closed', { timeoutMs: 5000, message: "A's paused socket to close" });
  const closedAfterMs = set.sim.sockets().find((s) => s.id === aSocket.id)!.closedAt! - continuedAt;
  // The buffered envelopes were read, enqueued (deduplicated later) and refused their ack.
  await a.proc.waitForLog((l) => l.msg === 'slot lease not valid: envelope enqueued but not acked (Slack redelivers events)', { timeoutMs: 5000 });
  await a.proc.waitForLog((l) => l.msg === 'socket closed' && l.reason === 'closed_by_us', { timeoutMs: 5000 });
  const refused = a.proc.logs.filter((l) => l.msg === 'slot lease not valid: envelope enqueued but not acked (Slack redelivers events)');
  // (A stopped cannot write; an ack it wrote just before may still be read after stoppedAt.)
  const lateAcks = set.sim.acks().filter((ack) => ack.socketId === aSocket.id && ack.receivedAt > continuedAt);
  assert.deepEqual(lateAcks, [], 'A acked nothing on the slot it no longer owns');
  const crossAcks = set.sim.acks().filter((ack) => ack.crossSocket && ack.receivedAt > continuedAt);
  assert.deepEqual(crossAcks, [], 'nor through another socket');
  t.diagnostic(
    `B owned both slots ${tookOverMs} ms after SIGSTOP; ${sentToPausedA} envelopes were written to A's socket meanwhile; after SIGCONT A refused ${refused.length} acks and its socket closed ${Math.round(closedAfterMs)} ms later`,
  );

  await stream;
  await waitFor(() => allAcked(set!, eventIds), { timeoutMs: 30000, message: 'every event acked' });
  const { missing, jobs } = await set.eventsWithoutJob(eventIds);
  assert.deepEqual(missing, []);
  assert.equal(jobs, 1200, 'one job per event');
  // A is live again after SIGCONT: the slots end one each (B hands one back), one owner per slot.
  await set.waitForSplit([[a, 1], [b, 1]], 20000);
  assert.deepEqual(set.overLimit(3), [], 'never more than 2 slots + 1 sockets open');
});
