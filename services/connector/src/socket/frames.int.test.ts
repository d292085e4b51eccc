// Malformed frames from the simulator: each is logged (code, envelope_id when present, never the
// body) and counted; the socket that received them stays up and acks the next valid envelope.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appMentionPayload } from '@socketworks/slack-sim';
import { waitFor } from '@socketworks/testing';
import { metricValue } from '../test-support/log-capture';
import { startHarness, type Harness } from '../test-support/harness';

let h: Harness;

before(async () => {
  // One socket, so every raw frame and the valid envelope after them take the same connection.
  h = await startHarness({ name: 'frames', env: { SLACK_CONNECTIONS: '1' } });
});

after(async () => {
  await h?.close();
});

test('not JSON, unknown type, missing envelope_id, a 2 MB frame, non-string types: logged, counted, socket stays up, next envelope acked', async () => {
  const connectionId = h.connector.slots.runner(0).connectionId;
  assert.ok(connectionId);
  const marker = 'SECRET-BODY-MARKER';
  const frames: Array<[string, string]> = [
    [`{"type": "events_api", ${marker}`, 'ERR_FRAME_NOT_JSON'],
    [JSON.stringify({ type: 'brand_new_thing', envelope_id: 'env-unknown-1', payload: { marker } }), 'ERR_FRAME_UNKNOWN_TYPE'],
    [JSON.stringify({ type: 'events_api', payload: { marker }, accepts_response_payload: false }), 'ERR_FRAME_MISSING_ENVELOPE_ID'],
    [JSON.stringify({ type: 'events_api', envelope_id: 'env-huge-1', payload: { marker, blob: 'x'.repeat(2 * 1024 * 1024) } }), 'ERR_FRAME_TOO_LARGE'],
    // Types that are not strings, where String() itself would throw.
    [JSON.stringify({ type: { toString: 1 }, envelope_id: 'env-odd-1', payload: { marker } }), 'ERR_FRAME_UNKNOWN_TYPE'],
    [JSON.stringify({ type: 'interactive', envelope_id: 'env-odd-2', payload: { type: { toString: 1 }, marker } }), 'ERR_FRAME_INVALID'],
  ];
  for (const [text] of frames) h.sim.sendRaw(text);
  await waitFor(() => h.logs.find((l) => l.msg === 'frame rejected').length >= frames.length, { message: 'every rejection logged' });

  const rejected = h.logs.find((l) => l.msg === 'frame rejected');
  assert.deepEqual(rejected.map((l) => l.code), frames.map(([, code]) => code));
  assert.equal(rejected[1]!.envelope_id, 'env-unknown-1', 'the envelope_id is logged when the frame had one');
  for (const line of rejected) {
    assert.equal(line.level, 'warn');
    assert.equal(line.connection_id, connectionId);
    assert.equal(line.slot, 0);
  }
  assert.ok(!h.logs.raw.some((l) => l.includes(marker)), 'no frame body in any log line');
  for (const code of new Set(frames.map(([, c]) => c))) {
    const sent = frames.filter(([, c]) => c === code).length;
    assert.equal(await metricValue(h.connector.registry, 'socketworks_connector_frames_rejected_total', { code }), sent, code);
  }
  assert.equal(h.logs.find((l) => l.level === 'error').length, 0, 'nothing failed unexpectedly');

  const valid = h.sim.inject({ type: 'events_api', payload: appMentionPayload({ text: '<@U0000002> after the junk' }) });
  const ack = await waitFor(() => h.sim.acks().find((a) => a.envelopeId === valid.envelopeId), { message: 'the valid envelope acked' });
  assert.ok(!ack.crossSocket);
  assert.equal(h.connector.slots.runner(0).connectionId, connectionId, 'same connection');
  assert.equal(h.logs.find((l) => l.msg === 'socket closed').length, 0, 'no socket closed');
  assert.equal(h.sim.sockets().filter((s) => s.state !== 'closed').length, 1);
});
