// The dispatcher alone, over a socket that records frames: what it keeps in memory on long runs,
// the late flag on acks, and what reset() forgets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { WebSocket } from 'ws';
import { ACK_DEADLINE_MS, Dispatcher } from './dispatcher';
import { ResponseUrlRegistry, TriggerRegistry } from './interactions';
import { SimSocket } from './socket-hub';
import { appMentionPayload, slashCommandPayload } from './payloads';
import type { Delivery } from './types';

function setup(options: { maxRecords?: number; online?: boolean } = {}) {
  const frames: string[] = [];
  const ws = { send: (text: string) => frames.push(text) } as unknown as WebSocket;
  const socket = new SimSocket(ws, 'conn-1', 'applink-test');
  let online = options.online ?? true;
  const triggers = new TriggerRegistry(3000);
  const sent: Delivery[] = [];
  const dispatcher = new Dispatcher(
    { redeliveryTimeoutMs: 60_000, maxRedeliveries: 3, maxRecords: options.maxRecords ?? Infinity, logger: pino({ level: 'silent' }) },
    {
      pick: () => (online ? socket : undefined),
      triggers,
      responseUrls: new ResponseUrlRegistry('http://127.0.0.1:1', 'T1', 5, 1_800_000),
      onDelivery: (d) => sent.push(d),
      onAck: () => {},
    },
  );
  const ack = (envelopeId: string) => dispatcher.onClientFrame(socket, Buffer.from(JSON.stringify({ envelope_id: envelopeId })), false);
  const goOnline = () => {
    online = true;
    dispatcher.flush();
  };
  return { dispatcher, triggers, sent, frames, ack, goOnline };
}

const mention = () => ({ type: 'events_api' as const, payload: appMentionPayload({ text: 'hi' }) });

test('with maxRecords, ack latencies are a bounded window; count and max still cover every ack', async () => {
  const { dispatcher, ack } = setup({ maxRecords: 8 });
  const slow = dispatcher.inject(mention()).envelopeId;
  await new Promise((resolve) => setTimeout(resolve, 30));
  ack(slow);
  for (let i = 0; i < 200; i += 1) ack(dispatcher.inject(mention()).envelopeId);
  const kept = dispatcher.retained();
  assert.ok(kept.latencies >= 8 && kept.latencies <= 10, `latencies kept: ${kept.latencies}`);
  assert.ok(kept.records <= 10 && kept.acks <= 10 && kept.envelopes <= 10, JSON.stringify(kept));
  const summary = dispatcher.stats().ackLatencyMs;
  assert.equal(summary.count, 201, 'every ack counted');
  assert.ok(summary.max >= 29, `max ${summary.max} still has the slow ack that left the window`);
  assert.ok(summary.p99 < 29 && summary.p50 <= summary.p99, `p50/p99 over the window: ${summary.p50}/${summary.p99}`);
  // Without maxRecords nothing changes: every latency is kept and summarized.
  const all = setup();
  for (let i = 0; i < 50; i += 1) all.ack(all.dispatcher.inject(mention()).envelopeId);
  assert.equal(all.dispatcher.retained().latencies, 50);
  assert.equal(all.dispatcher.stats().ackLatencyMs.count, 50);
});

test('stats() summarizes again only after a new ack, and hands out a copy', () => {
  const { dispatcher, ack } = setup();
  ack(dispatcher.inject(mention()).envelopeId);
  const first = dispatcher.stats().ackLatencyMs;
  first.count = 99;
  assert.equal(dispatcher.stats().ackLatencyMs.count, 1, 'a caller cannot change the cached summary');
  ack(dispatcher.inject(mention()).envelopeId);
  assert.equal(dispatcher.stats().ackLatencyMs.count, 2);
});

test('trimmed envelopes that were still open are forgotten once done', () => {
  // Offline: 30 events wait for a socket, so their records are trimmed while still open.
  const { dispatcher, ack, goOnline } = setup({ maxRecords: 8, online: false });
  const ids = Array.from({ length: 30 }, () => dispatcher.inject(mention()).envelopeId);
  assert.equal(dispatcher.retained().envelopes, 30, 'open envelopes stay findable');
  goOnline();
  for (const id of ids) ack(id);
  assert.equal(dispatcher.stats().unknownAcks, 0, 'acks of trimmed but open envelopes are still matched');
  // Later traffic trims again: the 30 done envelopes go.
  for (let i = 0; i < 20; i += 1) ack(dispatcher.inject(mention()).envelopeId);
  const kept = dispatcher.retained();
  assert.ok(kept.envelopes <= 10, `envelopes held: ${kept.envelopes}`);
});

test('an ack past the 3 s deadline is marked late; one within it is not', () => {
  const { dispatcher, ack, sent } = setup();
  const late = dispatcher.inject({ type: 'slash_commands', payload: slashCommandPayload({ command: '/x', text: '' }) }).envelopeId;
  const onTime = dispatcher.inject({ type: 'slash_commands', payload: slashCommandPayload({ command: '/x', text: '' }) }).envelopeId;
  // Moves the sends into the past instead of waiting 3 s.
  sent[0]!.sentAt! -= ACK_DEADLINE_MS + 500;
  sent[1]!.sentAt! -= ACK_DEADLINE_MS - 500;
  ack(late);
  ack(onTime);
  const [lateAck, onTimeAck] = dispatcher.acks();
  assert.equal(lateAck!.envelopeId, late);
  assert.ok(lateAck!.latencyMs! > ACK_DEADLINE_MS);
  assert.equal(lateAck!.late, true);
  assert.equal(onTimeAck!.late, undefined);
  assert.equal('late' in onTimeAck!, false, 'the field is absent, not false');
  ack('never-sent');
  assert.equal('late' in dispatcher.acks()[2]!, false, 'unknown envelopes have no latency');
});

test('reset() forgets the trigger_ids of envelopes it drops before they were ever sent', () => {
  const { dispatcher, triggers, goOnline } = setup({ online: false });
  for (let i = 0; i < 5; i += 1) dispatcher.inject({ type: 'slash_commands', payload: slashCommandPayload({ command: '/x', text: '' }) });
  assert.equal(triggers.size, 5);
  dispatcher.reset();
  assert.equal(triggers.size, 0, 'no trigger left with a clock that never starts');
  // Triggers of envelopes that were sent keep their (running) clock.
  goOnline();
  const { triggerId } = dispatcher.inject({ type: 'slash_commands', payload: slashCommandPayload({ command: '/x', text: '' }) });
  dispatcher.reset();
  assert.equal(triggers.check(triggerId), 'ok');
});
