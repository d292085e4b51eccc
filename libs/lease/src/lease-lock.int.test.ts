import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { deleteKeys, getTestRedisUrl, uniquePrefix, waitFor } from '@socketworks/testing';
import { LeaseLock } from './lease-lock';

let redis: Redis;
let url: string;
const prefix = uniquePrefix('lease');

before(async () => {
  url = await getTestRedisUrl();
  redis = new Redis(url);
});
after(async () => {
  await deleteKeys(url, `${prefix}*`);
  await redis.quit();
});

const lock = (owner: string, key = `${prefix}:slot:0`, ttlMs = 1000) => new LeaseLock({ redis, key, ownerId: owner, ttlMs, driftMs: 100 });

test('one owner at a time, fencing tokens grow with every change of owner', async () => {
  const a = lock('a', `${prefix}:one`);
  const b = lock('b', `${prefix}:one`);
  const leaseA = await a.acquire();
  assert.ok(leaseA);
  assert.equal(await b.acquire(), null, 'b cannot take a held lease');
  assert.equal(await b.renew({ ...leaseA, ownerId: 'b' }), null, 'b cannot renew what it does not hold');
  assert.equal(await b.release({ ...leaseA, ownerId: 'b' }), false);
  const renewed = await a.renew(leaseA);
  assert.ok(renewed && renewed.token === leaseA.token && renewed.validUntil >= leaseA.validUntil);
  assert.equal(await a.release(leaseA), true);
  const leaseB = await b.acquire();
  assert.ok(leaseB && leaseB.token > leaseA.token, 'a new owner gets a larger token');
  assert.deepEqual({ ...(await b.holder()), ttlMs: 0 }, { ownerId: 'b', token: leaseB.token, ttlMs: 0 });
});

test('an expired lease can be taken; the old owner can neither renew nor release it', async () => {
  const a = lock('a', `${prefix}:expire`, 300);
  const b = lock('b', `${prefix}:expire`, 300);
  const leaseA = (await a.acquire())!;
  const leaseB = await waitFor(() => b.acquire(), { timeoutMs: 2000, message: 'the lease to expire' });
  assert.ok(leaseB.token > leaseA.token);
  assert.equal(await a.renew(leaseA), null);
  assert.equal(await a.release(leaseA), false);
  assert.equal((await b.holder())?.ownerId, 'b');
});

test('the local validity bound ends before the key can expire in Redis', async () => {
  const a = lock('a', `${prefix}:valid`, 1000);
  const before = performance.now();
  const lease = (await a.acquire())!;
  const pttl = await redis.pttl(`${prefix}:valid`);
  const readAt = performance.now();
  assert.ok(LeaseLock.isValid(lease));
  assert.ok(lease.validUntil <= before + 1000 - 100 + 50, 'bounded by ttl minus drift from the send time');
  // Redis expires the key at (readAt + pttl) at the earliest by our clock; the local bound ends
  // at least the drift margin before that (less the time the PTTL round trip took).
  assert.ok(pttl > 0 && pttl <= 1000, `PTTL ${pttl}`);
  assert.ok(lease.validUntil + 100 - (readAt - before) <= readAt + pttl, `validUntil ${lease.validUntil - readAt} ms ahead, key expires in ${pttl} ms`);
  assert.ok(lease.validUntil < readAt + pttl, 'the local bound ends first');
  assert.equal(LeaseLock.isValid(lease, lease.validUntil), false);
  // Renewing moves both forward and keeps the order.
  const renewed = (await a.renew(lease))!;
  const pttlAfter = await redis.pttl(`${prefix}:valid`);
  assert.ok(renewed.validUntil < performance.now() + pttlAfter);
});

test('fencing tokens keep growing after Redis loses the lease and its counter', async () => {
  const key = `${prefix}:loss`;
  const a = lock('a', key);
  const b = lock('b', key);
  const tokens: number[] = [];
  for (const owner of [a, b, a]) {
    const lease = (await owner.acquire())!;
    tokens.push(lease.token);
    await owner.release(lease);
  }
  const held = (await a.acquire())!;
  tokens.push(held.token);
  const moved = (await a.transfer(held, 'b'))!;
  tokens.push(moved.token);
  for (let i = 1; i < tokens.length; i += 1) assert.ok(tokens[i]! > tokens[i - 1]!, `tokens grow: ${tokens.join(', ')}`);
  // Redis restarts without persistence, or a failover loses the last writes: both keys are gone.
  await redis.del(key, `${key}:fence`);
  const after = (await b.acquire())!;
  assert.ok(after.token > Math.max(...tokens), `token after the loss ${after.token} > ${Math.max(...tokens)}`);
  assert.deepEqual({ ...(await b.holder()), ttlMs: 0 }, { ownerId: 'b', token: after.token, ttlMs: 0 }, 'stored as written, no exponent');
  assert.ok(Number.isSafeInteger(after.token));
  // A transfer after a loss of the counter alone also goes past every earlier token.
  await redis.del(`${key}:fence`);
  const handed = (await b.transfer(after, 'a'))!;
  assert.ok(handed.token > after.token);
  // A counter ahead of the clock (tokens issued faster than one per microsecond) goes on counting.
  const ahead = handed.token + 10_000_000;
  await redis.set(`${key}:fence`, String(ahead));
  let lease = (await lock('a', key).transfer(handed, 'b'))!;
  assert.equal(lease.token, ahead + 1);
  // Changes of owner back to back give distinct, growing tokens.
  const burst: number[] = [];
  for (let i = 0; i < 50; i += 1) {
    lease = (await lock(lease.ownerId, key).transfer(lease, lease.ownerId === 'a' ? 'b' : 'a'))!;
    burst.push(lease.token);
  }
  for (let i = 1; i < burst.length; i += 1) assert.ok(burst[i]! > burst[i - 1]!);
});

test('transfer moves the lease atomically to a new owner with a larger token', async () => {
  const a = lock('a', `${prefix}:transfer`);
  const b = lock('b', `${prefix}:transfer`);
  const leaseA = (await a.acquire())!;
  const leaseB = await a.transfer(leaseA, 'b');
  assert.ok(leaseB && leaseB.ownerId === 'b' && leaseB.token > leaseA.token);
  assert.equal(await a.renew(leaseA), null, 'the old owner lost it');
  assert.ok(await b.renew(leaseB), 'the new owner can renew it');
  assert.equal(await a.transfer(leaseA, 'c'), null, 'a stale owner cannot transfer');
});

test('concurrent acquirers: exactly one wins', async () => {
  const key = `${prefix}:race`;
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => lock(`r${i}`, key).acquire()));
  assert.equal(results.filter(Boolean).length, 1);
});

test('a ttl Redis cannot take is refused when the lock is made, not at each acquire', () => {
  for (const ttlMs of [1500.5, 0, -1, Number.NaN, Infinity]) {
    assert.throws(() => new LeaseLock({ redis, key: `${prefix}:bad`, ownerId: 'a', ttlMs, driftMs: 100 }), RangeError, String(ttlMs));
  }
});
