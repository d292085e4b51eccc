import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EnvelopeFactory, seqFromPayload, seqFromText } from './envelopes';

test('every kind of envelope carries its sequence number, and the answers the app writes give it back', () => {
  const f = new EnvelopeFactory('mixed');
  const kinds = new Set<string>();
  for (let seq = 0; seq < 40; seq++) {
    const input = f.make(seq);
    kinds.add(input.type);
    assert.equal(seqFromPayload(input.payload), seq, `payload of ${seq} (${input.type})`);
  }
  assert.deepEqual([...kinds].sort(), ['events_api', 'interactive', 'slash_commands']);
  assert.equal(seqFromText('You said: <@U0000002> bench 123'), 123);
  assert.equal(seqFromText('Echo: bench 7'), 7);
  assert.equal(seqFromText('You clicked: bench-42'), 42);
  assert.equal(seqFromText('hello'), undefined);
  assert.equal(seqFromPayload({ event_id: 'Ev123' }), undefined);
});

test('the mixed load is 18 app mentions, one /echo and one click in every 20; events-only is all mentions', () => {
  const f = new EnvelopeFactory('mixed');
  const counts: Record<string, number> = {};
  for (let seq = 0; seq < 20; seq++) counts[f.kindOf(seq)] = (counts[f.kindOf(seq)] ?? 0) + 1;
  assert.deepEqual(counts, { app_mention: 18, slash: 1, block_actions: 1 });
  const e = new EnvelopeFactory('events');
  assert.ok(Array.from({ length: 20 }, (_, i) => e.kindOf(i)).every((k) => k === 'app_mention'));
});

test('each app mention has its own event_id and ts (a redelivery is recognised, a new event is not deduplicated)', () => {
  const f = new EnvelopeFactory('events');
  const a = f.make(1).payload as { event_id: string; event: { ts: string; text: string } };
  const b = f.make(2).payload as { event_id: string; event: { ts: string; text: string } };
  assert.notEqual(a.event_id, b.event_id);
  assert.notEqual(a.event.ts, b.event.ts);
  assert.match(a.event.text, /^<@U\w+> bench 1$/);
});
