import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bullPrefix, routeEnvelope, toJobData, parseJobData, scrubPayload, JobDataError, type Envelope } from './index';

const envelope = (type: Envelope['type'], payload: Record<string, unknown>): Envelope => ({
  type,
  envelope_id: 'env-1',
  payload,
  accepts_response_payload: false,
  retry_attempt: 0,
  retry_reason: '',
});

test('events dedupe on event_id, everything else on envelope_id', () => {
  assert.deepEqual(routeEnvelope(envelope('events_api', { event_id: 'Ev1' })), { queue: 'events', jobId: 'ev-Ev1', eventId: 'Ev1' });
  assert.deepEqual(routeEnvelope(envelope('events_api', { type: 'app_rate_limited' })), { queue: 'events', jobId: 'env-env-1' });
  assert.equal(routeEnvelope(envelope('slash_commands', {})).queue, 'commands');
  assert.equal(routeEnvelope(envelope('interactive', { type: 'block_actions' })).queue, 'interactive');
  assert.ok(!routeEnvelope(envelope('interactive', {})).jobId.includes(':'), 'BullMQ job ids cannot contain a colon');
});

test('the sync lane takes only kinds whose ack carries an answer', () => {
  const sync = { syncLane: true };
  assert.equal(routeEnvelope(envelope('slash_commands', {}), sync).queue, 'sync');
  assert.equal(routeEnvelope(envelope('interactive', { type: 'view_submission' }), sync).queue, 'sync');
  assert.equal(routeEnvelope(envelope('interactive', { type: 'block_suggestion' }), sync).queue, 'sync');
  assert.equal(routeEnvelope(envelope('interactive', { type: 'block_actions' }), sync).queue, 'interactive');
  assert.equal(routeEnvelope(envelope('events_api', { event_id: 'E' }), sync).queue, 'events');
});

test('queue prefixes carry a cluster hash tag exactly once', () => {
  assert.equal(bullPrefix('socketworks'), '{socketworks}');
  assert.equal(bullPrefix('{mine}'), '{mine}');
});

test('job data drops the verification token at any depth and round-trips through validation', () => {
  const data = toJobData(envelope('interactive', { token: 'FAKEverificationTOKEN0001', view: { token: 'x', id: 'V1' }, list: [{ token: 'y', a: 1 }] }), {
    delivery: 'socket',
    receivedAt: 1,
    slot: 0,
    connectionId: 'c1',
  });
  assert.deepEqual(data.payload, { view: { id: 'V1' }, list: [{ a: 1 }] });
  assert.deepEqual(parseJobData(JSON.parse(JSON.stringify(data))), data);
  assert.throws(() => parseJobData({ ...data, v: 2 }), JobDataError);
  assert.throws(() => parseJobData({ ...data, envelope_id: '' }), JobDataError);
});

test('scrubbing leaves the input untouched', () => {
  const input = { token: 't', a: { token: 'u' } };
  scrubPayload(input);
  assert.deepEqual(input, { token: 't', a: { token: 'u' } });
});
