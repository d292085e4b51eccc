// Slack's 10-socket cap across the deployment: a replica takes a handover request on only while one
// more socket keeps the app within the cap, counting every socket the replicas report (old ones
// still closing after a handover included) and the takeovers already claimed. Another replica
// ("peer") is played here through Redis, so the counts are exact: it holds all eight slots, asks
// for slot 7 to be taken over, and reports ten sockets, as it would while two other moves have a
// new socket open and an old one still closing.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { LeaseLock } from '@socketworks/lease';
import { waitFor } from '@socketworks/testing';
import { ReplicaSet } from '../test-support/replicas';
import { handoverValue } from './deployment-state';
import { slotKeys } from './slot-keys';

const SLOTS = 8;
const PEER = 'peer-replica';

let set: ReplicaSet | undefined;
let redis: Redis | undefined;

afterEach(async () => {
  redis?.disconnect();
  redis = undefined;
  await set?.close();
  set = undefined;
});

test("a handover request is taken on only while one more socket keeps the app within Slack's cap; a `closed` message retries at once", { timeout: 60000 }, async () => {
  // Ticks every 10 s (TTL/3): within this test only the first tick and the control messages act.
  set = await ReplicaSet.start({ name: 'socket-cap', env: { SLACK_CONNECTIONS: String(SLOTS), CONNECTOR_LEASE_TTL_MS: '30000' } });
  const conn = new Redis(set.redisUrl, { maxRetriesPerRequest: null });
  redis = conn;
  const keys = slotKeys(set.prefix);
  const redisNowMs = async () => {
    const [s, us] = await conn.time();
    return Number(s) * 1000 + Math.floor(Number(us) / 1000);
  };
  // The peer: live (membership), every slot's lease, and its socket report.
  const report = async (open: number) => conn.hset(keys.sockets, PEER, `${open},0,${(await redisNowMs()) + 60000}`);
  const oldSocketClosed = () => conn.publish(keys.control, JSON.stringify({ type: 'closed', slot: 5, from: PEER }));
  await conn.zadd(keys.replicas, (await redisNowMs()) + 60000, PEER);
  await report(10);
  const leases = [];
  for (let n = 0; n < SLOTS; n++) {
    const lease = await new LeaseLock({ redis: conn, key: keys.slot(n), ownerId: PEER, ttlMs: 60000 }).acquire();
    assert.ok(lease, `the peer holds slot ${n}`);
    leases.push(lease);
  }
  await conn.set(keys.handover(7), handoverValue({ from: PEER, token: leases[7]!.token, reason: 'rebalance' }), 'PX', 60000);

  // The replica is under its target (4 of 8 with two members) and sees the request at its first tick.
  const b = await set.add('connector-b');
  const deferredTotal = async () => {
    const metrics = await (await fetch(`http://127.0.0.1:${b.opsPort}/metrics`)).text();
    return Number(/^socketworks_connector_takeovers_deferred_total\{[^}]*\} (\d+)$/m.exec(metrics)?.[1] ?? 0);
  };
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
  assert.equal(logged[0]!.takeovers_under_way, 0);

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
