// SIGTERM of one replica under load: its slots are handed over make-before-break (the other
// replica's socket has its hello before ours closes), and the simulator redelivers nothing: every
// envelope is acked on the socket that delivered it, or — for the few written to the old socket
// after our close frame went out — through the other replica's socket (cross-socket ack).
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { appMentionPayload } from '@socketworks/slack-sim';
import { waitFor } from '@socketworks/testing';
import { ReplicaSet } from '../test-support/replicas';

let set: ReplicaSet | undefined;

afterEach(async () => {
  await set?.close();
  set = undefined;
});

test('SIGTERM of one replica under load: the other takes its slot before the old socket closes; zero envelopes redelivered', { timeout: 60000 }, async (t) => {
  // Slack's own redelivery timeout (3 s): anything left unacked would come back.
  set = await ReplicaSet.start({ name: 'sigterm', sim: { redeliveryTimeoutMs: 3000, maxRedeliveries: 3 } });
  const { a, b, bJoinedAt } = await set.addPair();
  const aSocket = set.sim.sockets().find((s) => s.state === 'open' && s.openedAt < bJoinedAt)!;

  const eventIds: string[] = [];
  const stream = set.sim.injectStream({
    count: 3000,
    ratePerSecond: 500,
    make: () => {
      const payload = appMentionPayload({ text: '<@U0000002> sigterm' });
      eventIds.push(String(payload.event_id));
      return { type: 'events_api', payload };
    },
  });
  await waitFor(() => eventIds.length >= 1500, { timeoutMs: 10000, message: 'the stream half way' });
  const termAt = Date.now();
  const code = await a.proc.stop('SIGTERM');
  const exitedMs = Date.now() - termAt;
  assert.equal(code, 0, 'A exits 0');
  await stream;
  await waitFor(() => set!.sim.acks().length >= 3000 && set!.sim.stats().acked >= 3000, { timeoutMs: 15000, message: '3,000 acks' });

  // Make-before-break: B's replacement had its hello before A's socket closed.
  const sockets = set.sim.sockets();
  const closedA = sockets.find((s) => s.id === aSocket.id)!;
  const replacement = sockets.find((s) => s.openedAt > termAt && s.helloAt !== null)!;
  assert.ok(replacement, "B's replacement socket");
  assert.ok(replacement.helloAt! < closedA.closedAt!, "the replacement's hello came before A's socket closed");
  assert.equal(closedA.closeCode, 1000, 'A closed its socket cleanly');
  assert.equal(set.sim.stats().waitedForSocket, 0, 'no envelope waited for a socket');

  // The test of the issue: nothing redelivered, every event one job.
  const stats = set.sim.stats();
  assert.equal(stats.redelivered, 0, 'zero envelopes redelivered by the simulator');
  assert.equal(stats.unacked, 0);
  const { missing, jobs } = await set.eventsWithoutJob(eventIds);
  assert.deepEqual(missing, []);
  assert.equal(jobs, 3000);
  assert.deepEqual((await b.heldSlots())?.sort(), [0, 1], 'B owns both slots');
  assert.deepEqual(set.overLimit(3), [], 'never more than 2 slots + 1 sockets open');

  // How often the close-frame race happened, and how it was covered.
  const late = a.proc.logs.filter((l) => l.msg === 'envelope arrived after our close frame').length;
  const written = b.proc.logs.filter((l) => l.msg === 'ack written for another replica (cross-socket)').length;
  const handover = a.proc.logs.find((l) => l.msg === 'handover finished')!;
  assert.ok(handover, 'A logged the handover');
  assert.equal(stats.crossSocketAcks, written, 'each cross-socket ack the simulator saw was one B wrote for A');
  t.diagnostic(
    `A exited ${exitedMs} ms after SIGTERM (handover ${String(handover.took_ms)} ms); gap-free: B's hello ${(closedA.closedAt! - replacement.helloAt!).toFixed(1)} ms before A's socket closed; ` +
      `${late} envelopes reached A after its close frame, ${written} acked through B's socket (cross-socket); sim ack latency p50 ${stats.ackLatencyMs.p50.toFixed(2)} ms, p99 ${stats.ackLatencyMs.p99.toFixed(2)} ms, max ${stats.ackLatencyMs.max.toFixed(1)} ms`,
  );
});

test('SIGTERM to every replica at once (a scale to zero): none waits out its handover budget for another that is leaving too', { timeout: 60000 }, async () => {
  set = await ReplicaSet.start({ name: 'sigterm-all' });
  const { a, b } = await set.addPair();

  // Each asks the other to take its slot over; the other is leaving as well.
  const termAt = Date.now();
  const exits = await Promise.all([a, b].map(async (r) => ({ code: await r.proc.stop('SIGTERM'), ms: Date.now() - termAt })));
  // The handover budget is 6 s here (CONNECTOR_SHUTDOWN_TIMEOUT_MS 10 s − 4 s); the membership
  // shows the other gone within a lease tick (TTL/3 = 0.5 s).
  for (const exit of exits) {
    assert.equal(exit.code, 0);
    assert.ok(exit.ms < 3000, `a replica took ${exit.ms} ms to stop`);
  }
  const lines = [a, b].flatMap((r) => r.proc.logs.filter((l) => l.msg === 'handover finished' || String(l.msg).startsWith('the other replicas left too') || String(l.msg).startsWith('no other replica is live')));
  assert.equal(lines.length, 2, 'each replica said how it left');
  assert.equal(set.sim.sockets().filter((s) => s.state === 'open').length, 0, 'every socket closed');
});

test("SIGTERM with SLACK_CONNECTIONS=9 under Slack's 10-socket cap: slots move a few at a time, none refused, all handed over", { timeout: 90000 }, async (t) => {
  // 9 slots leave room for one extra socket: one handover at a time (each briefly has two sockets).
  set = await ReplicaSet.start({ name: 'sigterm-cap', sim: { maxSockets: 10 }, env: { SLACK_CONNECTIONS: '9' } });
  const a = await set.add('connector-a');
  await set.waitForSplit([[a, 9]]);
  const b = await set.add('connector-b');
  await set.waitForSplit([[a, 5], [b, 4]], 30000);
  const code = await a.proc.stop('SIGTERM');
  assert.equal(code, 0, 'A exits 0');
  const handover = a.proc.logs.find((l) => l.msg === 'handover finished');
  assert.ok(handover, 'A logged the handover');
  assert.deepEqual(handover.kept, [], 'every slot handed over within the budget');
  assert.equal((handover.handed_over as number[]).length, 5);
  // B serves all nine at once: no slot sits out a too_many_websockets back-off.
  await set.waitForSplit([[b, 9]], 10000);
  const refused = set.sim.sockets().filter((s) => s.closeReason === 'too_many_websockets');
  assert.deepEqual(refused.map((s) => s.id), [], 'no socket refused over the cap');
  assert.ok(set.openMax <= 10, `${set.openMax} sockets open at once`);
  t.diagnostic(`handover of 5 slots took ${String(handover.took_ms)} ms; at most ${set.openMax} sockets open at once`);
});

test("two replicas SIGTERMed together, two others taking over (SLACK_CONNECTIONS=8): the takers never open more sockets than Slack's cap leaves", { timeout: 120000 }, async (t) => {
  // 8 slots leave room for two extra sockets. The leavers' requests reach both takers at the same
  // moment; each taker alone would see room for two moves. Slack's hello comes a WAN round trip
  // after the upgrade, so each new socket overlaps its old one for that long.
  set = await ReplicaSet.start({ name: 'sigterm-two', sim: { maxSockets: 10, helloDelayMs: 300 }, env: { SLACK_CONNECTIONS: '8' } });
  const a = await set.add('connector-a');
  await set.waitForSplit([[a, 8]]);
  const b = await set.add('connector-b');
  await set.waitForSplit([[a, 4], [b, 4]], 30000);
  const c = await set.add('connector-c');
  const d = await set.add('connector-d');
  await set.waitForSplit([[a, 2], [b, 2], [c, 2], [d, 2]], 45000);
  const before = set.openMax;
  const codes = await Promise.all([a, b].map((r) => r.proc.stop('SIGTERM')));
  assert.deepEqual(codes, [0, 0], 'A and B exit 0');
  await set.waitForSplit([[c, 4], [d, 4]], 30000);
  const refused = set.sim.sockets().filter((s) => s.closeReason === 'too_many_websockets');
  assert.deepEqual(refused.map((s) => s.id), [], 'no socket refused over the cap');
  assert.ok(set.openMax <= 10, `${set.openMax} sockets open at once`);
  const kept = [a, b].map((r) => r.proc.logs.find((l) => l.msg === 'handover finished')?.kept);
  assert.deepEqual(kept, [[], []], 'A and B handed every slot over within their budget');
  const deferred = [c, d].reduce((sum, r) => sum + r.proc.logs.filter((l) => String(l.msg).startsWith('slot takeover deferred')).length, 0);
  t.diagnostic(`at most ${set.openMax} sockets open at once (${before} before the SIGTERMs); ${deferred} takeover requests deferred for the cap`);
});
