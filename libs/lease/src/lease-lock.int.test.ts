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
  assert.ok(LeaseLock.isValid(lease));
  assert.ok(lease.validUntil <= before + 1000 - 100 + 50, 'bounded by ttl minus drift from the send time');
  assert.equal(LeaseLock.isValid(lease, lease.validUntil), false);
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
