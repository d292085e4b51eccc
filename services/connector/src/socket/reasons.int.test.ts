// The disconnect reasons that must not be treated as routine, with two real connector processes
// sharing the slots: too_many_websockets backs off ≥ 60 s on every replica (no loop, also not
// through a handover restarting the slot), link_disabled stops every replica and reports it.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '@socketworks/testing';
import { ReplicaSet } from '../test-support/replicas';

let set: ReplicaSet | undefined;

afterEach(async () => {
  await set?.close();
  set = undefined;
});

/** Observes for `ms` that a count does not move (the absence of a reconnect loop needs a window). */
async function staysAt(read: () => number, ms: number): Promise<number> {
  const start = read();
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    assert.equal(read(), start, 'apps.connections.open was called again');
    await new Promise((r) => setTimeout(r, 50));
  }
  return start;
}

test('too_many_websockets: each replica told backs off ≥ 60 s, jittered; no reconnect loop across replicas or handovers', { timeout: 60000 }, async (t) => {
  // Slack allows this app one socket; the deployment wants two.
  set = await ReplicaSet.start({ name: 'toomany2', sim: { maxSockets: 1 } });
  const opens = () => set!.sim.apiCalls('apps.connections.open').length;
  const a = await set.add('connector-a');
  const toldA = await a.proc.waitForLog((l) => l.reason === 'too_many_websockets' && typeof l.retry_in_ms === 'number', { timeoutMs: 10000 });
  assert.ok((toldA.retry_in_ms as number) >= 60000 && (toldA.retry_in_ms as number) <= 90000, `A backs off ${String(toldA.retry_in_ms)} ms`);
  assert.equal(toldA.level, 'warn');
  // B joins: A hands a slot over; B's socket is refused too, and B backs off as well.
  const b = await set.add('connector-b');
  const toldB = await b.proc.waitForLog((l) => l.reason === 'too_many_websockets' && typeof l.retry_in_ms === 'number', { timeoutMs: 15000 });
  assert.ok((toldB.retry_in_ms as number) >= 60000);
  const calls = await staysAt(opens, 4000);
  assert.ok(calls <= 4, `${calls} apps.connections.open calls in all`);
  assert.equal(set.sim.sockets().filter((s) => s.helloAt !== null && s.state === 'open').length, 1, 'the one socket Slack allows stays up');
  t.diagnostic(`A backs off ${String(toldA.retry_in_ms)} ms, B ${String(toldB.retry_in_ms)} ms; ${calls} apps.connections.open calls, then none for 4 s`);
});

test('link_disabled: every replica stops reconnecting, answers /readyz 503 and logs an operator-level error', { timeout: 60000 }, async () => {
  set = await ReplicaSet.start({ name: 'linkoff2' });
  const { a, b } = await set.addPair();
  const opens = () => set!.sim.apiCalls('apps.connections.open').length;
  set.sim.setLinkDisabled(true);
  for (const replica of [a, b]) {
    const error = await replica.proc.waitForLog((l) => l.level === 'error' && String(l.msg).includes('link_disabled'), { timeoutMs: 10000 });
    assert.match(String(error.msg), /Socket Mode was turned off/);
    await waitFor(async () => (await replica.readyz()).status === 503, { message: `${replica.name} unready` });
    const { body } = await replica.readyz();
    assert.equal(body.halted, 'link_disabled');
  }
  await staysAt(opens, 2500);
  assert.equal(set.sim.sockets().filter((s) => s.state !== 'closed').length, 0, 'no socket left');
  // The halted replicas gave their leases up and take none back.
  assert.deepEqual(await a.heldSlots(), []);
  assert.deepEqual(await b.heldSlots(), []);
});
