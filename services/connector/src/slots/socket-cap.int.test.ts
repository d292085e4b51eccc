// Slack's 10-socket cap across the deployment: a replica opens an extra socket — a takeover of
// another replica's slot, a refresh's replacement — only while one more keeps the app within the
// cap, counting every socket the replicas report (old ones still closing included) and the extra
// sockets already reserved. Another replica ("peer") is played here through Redis, so the counts
// are exact.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { LeaseLock } from '@socketworks/lease';
import { scrapeSample, waitFor } from '@socketworks/testing';
import { ReplicaSet } from '../test-support/replicas';
import { handoverValue } from './deployment-state';
import { slotKeys, type SlotKeys } from './slot-keys';

const PEER = 'peer-replica';

let set: ReplicaSet | undefined;
let redis: Redis | undefined;

/** The peer's side in Redis: its membership and socket report (Redis's clock, as the replicas use). */
function peer(conn: Redis, keys: SlotKeys) {
  const redisNowMs = async () => {
    const [s, us] = await conn.time();
    return Number(s) * 1000 + Math.floor(Number(us) / 1000);
  };
  return {
    join: async () => conn.zadd(keys.replicas, (await redisNowMs()) + 60000, PEER),
    report: async (open: number) => conn.hset(keys.sockets, PEER, `${open},0,${(await redisNowMs()) + 60000}`),
  };
}

/** One sample of the replica's /metrics (0 before it is first counted). */
const metric = (opsPort: number, name: string, labels: Record<string, string>) => scrapeSample(`http://127.0.0.1:${opsPort}/metrics`, name, labels);

afterEach(async () => {
  redis?.disconnect();
  redis = undefined;
  await set?.close();
  set = undefined;
});

test("a handover request is taken on only while one more socket keeps the app within Slack's cap; a `closed` message retries at once", { timeout: 60000 }, async () => {
  // The peer holds all eight slots, asks for slot 7 to be taken over, and reports ten sockets, as
  // it would while two other moves have a new socket open and an old one still closing. Ticks
  // every 10 s (TTL/3): within this test only the first tick and the control messages act.
  const slots = 8;
  set = await ReplicaSet.start({ name: 'socket-cap', env: { SLACK_CONNECTIONS: String(slots), CONNECTOR_LEASE_TTL_MS: '30000' } });
  const conn = new Redis(set.redisUrl, { maxRetriesPerRequest: null });
  redis = conn;
  const keys = slotKeys(set.prefix);
  const { join, report } = peer(conn, keys);
  const oldSocketClosed = () => conn.publish(keys.control, JSON.stringify({ type: 'closed', slot: 5, from: PEER }));
  await join();
  await report(10);
  const leases = [];
  for (let n = 0; n < slots; n++) {
    const lease = await new LeaseLock({ redis: conn, key: keys.slot(n), ownerId: PEER, ttlMs: 60000 }).acquire();
    assert.ok(lease, `the peer holds slot ${n}`);
    leases.push(lease);
  }
  await conn.set(keys.handover(7), handoverValue({ from: PEER, token: leases[7]!.token, reason: 'rebalance' }), 'PX', 60000);

  // The replica is under its target (4 of 8 with two members) and sees the request at its first tick.
  const b = await set.add('connector-b');
  const deferredTotal = () => metric(b.opsPort, 'socketworks_connector_extra_sockets_deferred_total', { kind: 'takeover' });
  await waitFor(async () => (await deferredTotal()) === 1, { timeoutMs: 10000, message: 'the first try deferred' });
  // A `closed` message while the peer still reports ten: tried again, deferred again.
  await oldSocketClosed();
  await waitFor(async () => (await deferredTotal()) === 2, { timeoutMs: 5000, message: 'the second try deferred' });
  assert.equal(set.sim.sockets().length, 0, 'no socket opened while the app is at the cap');
  assert.equal(await conn.exists(keys.claim(7)), 0, 'the request is not claimed');
  const logged = b.proc.logs.filter((l) => String(l.msg).startsWith('slot takeover deferred'));
  assert.equal(logged.length, 1, 'logged once per request');
  assert.equal(logged[0]!.slot, 7);
  assert.equal(logged[0]!.deployment_sockets, 10);
  assert.equal(logged[0]!.extra_sockets_reserved, 0);

  // One of the peer's old sockets has closed: nine reported, room for one more. The next tick is
  // ~10 s away; the `closed` message makes the replica try now.
  await report(9);
  const toldAt = Date.now();
  await oldSocketClosed();
  await b.proc.waitForLog((l) => l.msg === 'slot taken over' && l.slot === 7, { timeoutMs: 5000 });
  assert.ok(Date.now() - toldAt < 5000);
  assert.equal(set.sim.sockets().length, 1, 'one socket, for slot 7');
  assert.deepEqual(await b.heldSlots(), [7]);
});

test("a refresh's replacement waits while one more socket would pass Slack's cap, and opens make-before-break once there is room", { timeout: 60000 }, async () => {
  // One slot, ours; the peer reports nine more: ten, the cap. Slack warns our socket.
  set = await ReplicaSet.start({ name: 'refresh-cap', sim: { warningGraceMs: 20000 }, env: { SLACK_CONNECTIONS: '1' } });
  const conn = new Redis(set.redisUrl, { maxRetriesPerRequest: null });
  redis = conn;
  const keys = slotKeys(set.prefix);
  const { join, report } = peer(conn, keys);
  await join();
  await report(9);
  const b = await set.add('connector-b');
  await set.waitForSplit([[b, 1]]);
  const [old] = set.sim.sockets();
  set.sim.refresh({ reason: 'warning', socketId: old!.id });
  await b.proc.waitForLog((l) => String(l.msg).startsWith('refresh: the replacement waits'), { timeoutMs: 5000 });
  await waitFor(async () => (await metric(b.opsPort, 'socketworks_connector_extra_sockets_deferred_total', { kind: 'refresh' })) >= 4, { timeoutMs: 5000, message: 'asked again' });
  assert.equal(set.sim.sockets().length, 1, 'no replacement while the app is at the cap');
  // The peer's report falls to eight: room for the replacement.
  await report(8);
  await b.proc.waitForLog((l) => l.msg === 'refresh: room under the socket cap, opening the replacement', { timeoutMs: 5000 });
  await waitFor(() => set!.sim.sockets().some((s) => s.id !== old!.id && s.helloAt !== null), { timeoutMs: 5000, message: 'the replacement has its hello' });
  assert.equal(set.sim.sockets().find((s) => s.id === old!.id)!.closedAt, null, 'make-before-break: the old socket was still open at the hello');
  await waitFor(async () => (await conn.exists(keys.refresh(0))) === 0, { timeoutMs: 5000, message: 'the reservation released' });
  assert.ok(set.openMax <= 2, `${set.openMax} of our sockets open at once`);
});
