import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bullPrefix,
  encodeJobIdPart,
  routeEnvelope,
  toJobData,
  parseJobData,
  parseSyncReply,
  scrubPayload,
  syncReplyChannel,
  JobDataError,
  SyncReplyError,
  type Envelope,
} from './index';

const envelope = (type: Envelope['type'], payload: Record<string, unknown>, acceptsResponsePayload = false): Envelope => ({
  type,
  envelope_id: 'env-1',
  payload,
  accepts_response_payload: acceptsResponsePayload,
  retry_attempt: 0,
  retry_reason: '',
});

test('events dedupe on event_id, everything else on envelope_id', () => {
  assert.deepEqual(routeEnvelope(envelope('events_api', { event_id: 'Ev1' })), { queue: 'events', jobId: 'ev-Ev1', eventId: 'Ev1' });
  assert.deepEqual(routeEnvelope(envelope('events_api', { type: 'app_rate_limited' })), { queue: 'events', jobId: 'env-env-1' });
  assert.equal(routeEnvelope(envelope('slash_commands', {})).queue, 'commands');
  assert.equal(routeEnvelope(envelope('interactive', { type: 'block_actions' })).queue, 'interactive');
});

test('job ids never contain a colon (BullMQ refuses one), stay distinct and dedupe redeliveries', () => {
  const withEnvelopeId = (type: Envelope['type'], envelopeId: string, payload: Record<string, unknown>) => routeEnvelope({ ...envelope(type, payload), envelope_id: envelopeId }).jobId;
  assert.equal(routeEnvelope(envelope('events_api', { event_id: 'Ev:1' })).jobId, 'ev-Ev%3A1');
  assert.equal(withEnvelopeId('interactive', 'a:b', { type: 'block_actions' }), 'env-a%3Ab');
  assert.equal(withEnvelopeId('slash_commands', 'a:b:c', {}), 'env-a%3Ab%3Ac');
  assert.equal(withEnvelopeId('events_api', 'x:y', { type: 'app_rate_limited' }), 'env-x%3Ay');
  assert.equal(routeEnvelope({ ...envelope('interactive', { type: 'view_submission' }, true), envelope_id: 'v:1' }, { syncLane: true }).jobId, 'env-v%3A1');
  // Ids Slack sends today are unchanged, so jobs already in Redis still dedupe after an upgrade.
  assert.equal(routeEnvelope(envelope('events_api', { event_id: 'Ev0A1B2C3D' })).jobId, 'ev-Ev0A1B2C3D');
  // '%' is escaped first, so an id that already looks encoded cannot collide with one that has a colon.
  const ids = ['a:b', 'a%3Ab', 'a%253Ab', 'a%b', 'a%25b', '%', ':', '%3A', '::', 'a%3A:b'];
  const jobIds = ids.map((id) => routeEnvelope(envelope('events_api', { event_id: id })).jobId);
  assert.equal(new Set(jobIds).size, ids.length, jobIds.join(' '));
  for (const jobId of jobIds) assert.ok(!jobId.includes(':'), `${jobId}: BullMQ job ids cannot contain a colon`);
  // Reversible: decoding gives back the id.
  for (const [i, id] of ids.entries()) assert.equal(decodeURIComponent(jobIds[i]!.slice('ev-'.length)), id);
  // The same event_id delivered twice (new envelope, retry) maps to the same job.
  const first = routeEnvelope({ ...envelope('events_api', { event_id: 'Ev:9' }), envelope_id: 'e:1' });
  const retry = routeEnvelope({ ...envelope('events_api', { event_id: 'Ev:9' }), envelope_id: 'e:2' });
  assert.equal(first.jobId, retry.jobId);
  assert.equal(first.eventId, 'Ev:9', 'logs carry the event_id as Slack sent it');
  assert.equal(encodeJobIdPart('100%:'), '100%25%3A');
});

test('the sync lane takes kinds whose ack carries an answer and kinds carrying a trigger_id', () => {
  const sync = { syncLane: true };
  assert.equal(routeEnvelope(envelope('slash_commands', {}), sync).queue, 'sync');
  assert.equal(routeEnvelope(envelope('interactive', { type: 'view_submission' }), sync).queue, 'sync');
  assert.equal(routeEnvelope(envelope('interactive', { type: 'block_suggestion' }), sync).queue, 'sync');
  assert.equal(routeEnvelope(envelope('interactive', { type: 'shortcut' }), sync).queue, 'sync');
  assert.equal(routeEnvelope(envelope('interactive', { type: 'message_action' }), sync).queue, 'sync');
  assert.equal(routeEnvelope(envelope('interactive', { type: 'block_actions' }), sync).queue, 'sync');
  assert.equal(routeEnvelope(envelope('interactive', { type: 'view_closed' }), sync).queue, 'interactive');
  assert.equal(routeEnvelope(envelope('interactive', { type: 'interactive_message' }), sync).queue, 'interactive');
  assert.equal(routeEnvelope(envelope('events_api', { event_id: 'E' }), sync).queue, 'events');
  // Without the option nothing goes to the sync queue.
  for (const type of ['view_submission', 'block_suggestion', 'shortcut', 'block_actions']) {
    assert.equal(routeEnvelope(envelope('interactive', { type }, true)).queue, 'interactive');
  }
  assert.equal(routeEnvelope(envelope('slash_commands', {}, true)).queue, 'commands');
  // A type that is not a string (unconvertible, even) routes as a plain interaction; nothing throws.
  assert.equal(routeEnvelope(envelope('interactive', { type: { toString: 1 } }), sync).queue, 'interactive');
});

test('only answer kinds delivered with accepts_response_payload wait for the answer', () => {
  const sync = { syncLane: true };
  const waits = (type: Envelope['type'], payload: Record<string, unknown>, accepts: boolean) => routeEnvelope(envelope(type, payload, accepts), sync).awaitAnswer === true;
  assert.equal(waits('slash_commands', {}, true), true);
  assert.equal(waits('interactive', { type: 'view_submission' }, true), true);
  assert.equal(waits('interactive', { type: 'block_suggestion' }, true), true);
  assert.equal(waits('slash_commands', {}, false), false, 'Slack would not read the payload');
  assert.equal(waits('interactive', { type: 'view_submission' }, false), false);
  assert.equal(waits('interactive', { type: 'block_actions' }, true), false, 'trigger kinds are acked bare at once');
  assert.equal(waits('interactive', { type: 'shortcut' }, true), false);
  assert.equal(waits('events_api', { event_id: 'E' }, true), false);
  assert.equal('awaitAnswer' in routeEnvelope(envelope('slash_commands', {}, true)), false, 'no wait without the sync lane');
  assert.deepEqual(routeEnvelope(envelope('interactive', { type: 'view_submission' }, true), sync), { queue: 'sync', jobId: 'env-env-1', awaitAnswer: true });
});

test('sync reply channels live under the queue hash tag, one per connector process', () => {
  assert.equal(syncReplyChannel('socketworks', 'c1'), '{socketworks}:sync-acks:c1');
  assert.equal(syncReplyChannel('{mine}', 'c2'), '{mine}:sync-acks:c2');
});

test('sync replies are validated: version, envelope_id, acked, an object payload', () => {
  assert.deepEqual(parseSyncReply('{"v":1,"envelope_id":"e","acked":true,"payload":{"text":"hi"}}'), { v: 1, envelope_id: 'e', acked: true, payload: { text: 'hi' } });
  assert.deepEqual(parseSyncReply('{"v":1,"envelope_id":"e","acked":false}'), { v: 1, envelope_id: 'e', acked: false });
  for (const bad of ['nope', '[]', '{"v":2,"envelope_id":"e","acked":true}', '{"v":1,"envelope_id":"","acked":true}', '{"v":1,"envelope_id":"e","acked":true,"payload":[1]}', '{"v":1,"envelope_id":"e"}']) {
    assert.throws(() => parseSyncReply(bad), (err: SyncReplyError) => err.code === 'ERR_SYNC_REPLY_INVALID', bad);
  }
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

test('job data carries the sync reply channel and deadline only when given', () => {
  const plain = toJobData(envelope('slash_commands', { command: '/x' }, true), { delivery: 'socket', receivedAt: 1 });
  assert.equal('reply_to' in plain || 'reply_by' in plain, false);
  const sync = toJobData(envelope('slash_commands', { command: '/x' }, true), { delivery: 'http', receivedAt: 1, replyTo: '{p}:sync-acks:c1', replyBy: 2001 });
  assert.equal(sync.reply_to, '{p}:sync-acks:c1');
  assert.equal(sync.reply_by, 2001);
  assert.deepEqual(parseJobData(JSON.parse(JSON.stringify(sync))), sync);
  assert.throws(() => parseJobData({ ...sync, reply_to: '' }), JobDataError);
});

test('scrubbing leaves the input untouched', () => {
  const input = { token: 't', a: { token: 'u' } };
  scrubPayload(input);
  assert.deepEqual(input, { token: 't', a: { token: 'u' } });
});
