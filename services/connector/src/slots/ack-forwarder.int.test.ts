// The cross-socket ack path between two replicas in this process, driven directly: replica A asks
// replica B (over the slot bus) to ack an envelope A's socket delivered; B writes it on its own
// socket, the simulator counts it (crossSocket) and redelivers nothing. Alone, A has no one to ask.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appMentionPayload } from '@socketworks/slack-sim';
import { waitFor } from '@socketworks/testing';
import { startConnector } from '../connector';
import { captureLogs, metricValue } from '../test-support/log-capture';
import { startHarness } from '../test-support/harness';

test('A asks B to ack an envelope A cannot ack itself; B writes it on its socket; the simulator takes it (cross-socket)', { timeout: 30000 }, async () => {
  const h = await startHarness({ name: 'forward', env: { CONNECTOR_LEASE_TTL_MS: '1500' }, deps: { replicaId: 'replica-a' }, sim: { redeliveryTimeoutMs: 3000 }, logLevel: 'info' });
  const bLogs = captureLogs({ level: 'info' });
  const b = await startConnector(h.config, { logger: bLogs.logger, replicaId: 'replica-b' });
  try {
    const a = h.connector;
    const held = (keeper: NonNullable<typeof a.leases>['keeper']) => keeper.status().filter((s) => s.lease === 'held').map((s) => s.slot);
    await waitFor(() => held(a.leases!.keeper).length === 1 && held(b.leases!.keeper).length === 1 && b.slots.connectedSlots() === 1 && a.slots.connectedSlots() === 1, {
      message: 'one slot each',
    });
    const n = held(a.leases!.keeper)[0]!;
    // A stops reading: what the simulator sends to A's socket stays unread and unacked.
    a.slots.runner(n).pauseReads();
    const injected = Array.from({ length: 6 }, (_, i) => h.sim.inject({ type: 'events_api', payload: appMentionPayload({ text: `<@U0000002> forward ${i}` }) }));
    const ids = new Set(injected.map((i) => i.envelopeId));
    const onA = await waitFor(() => {
      const sent = h.sim.deliveries().filter((d) => ids.has(d.envelopeId) && d.sentAt !== null);
      const waiting = sent.filter((d) => !d.acked);
      return sent.length === 6 && waiting.length === 3 ? waiting : undefined;
    }, { message: 'three envelopes acked by B, three waiting on A' });
    const target = onA[0]!;

    await a.leases!.keeper.forwarder(n)!(n, target.envelopeId);
    const ack = h.sim.acks().find((x) => x.envelopeId === target.envelopeId)!;
    assert.ok(ack, 'the simulator got the ack');
    assert.equal(ack.crossSocket, true, 'written on another socket than the one that delivered it');
    assert.notEqual(ack.socketId, target.socketId);
    assert.equal(h.sim.deliveries().find((d) => d.envelopeId === target.envelopeId)!.acked, true);
    assert.equal(await metricValue(a.registry, 'socketworks_connector_forwarded_acks_total', { role: 'requested' }), 1);
    assert.equal(await metricValue(b.registry, 'socketworks_connector_forwarded_acks_total', { role: 'written' }), 1);
    assert.ok(bLogs.find((l) => l.msg === 'ack written for another replica (cross-socket)' && l.envelope_id === target.envelopeId).length === 1);
    a.slots.runner(n).resumeReads();
    await waitFor(() => h.sim.deliveries().filter((d) => ids.has(d.envelopeId)).every((d) => d.acked), { message: 'the rest acked by A' });

    // B leaves (its slot handed over to A): A is alone, with nobody to ask.
    await b.stop();
    await waitFor(() => held(a.leases!.keeper).length === 2 && a.leases!.keeper.forwarder(n) === undefined, { message: 'A alone, without a forward target' });
  } finally {
    await b.stop();
    await h.close();
  }
});
