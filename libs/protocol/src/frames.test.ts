import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ackFrame, DEFAULT_MAX_FRAME_DEPTH, FrameError, isEnvelope, nestingExceeds, parseFrame, toJobData, type Envelope } from './index';

const fixtures = join(__dirname, '../../../../shared/slack/fixtures');
const fixture = (name: string) => readFileSync(join(fixtures, name), 'utf8');
const parse = (text: string, max?: number) => parseFrame(text, Buffer.byteLength(text), max === undefined ? {} : { maxFrameBytes: max });

function rejects(text: string, code: string, max?: number): FrameError {
  try {
    parse(text, max);
  } catch (err) {
    assert.ok(err instanceof FrameError, 'throws a FrameError');
    assert.equal(err.code, code);
    return err;
  }
  assert.fail(`expected ${code}`);
}

test('every socket fixture parses to its type', () => {
  const cases: Array<[string, string]> = [
    ['hello.json', 'hello'],
    ['disconnect_warning.json', 'disconnect'],
    ['disconnect_refresh_requested.json', 'disconnect'],
    ['events_api_app_mention.json', 'events_api'],
    ['events_api_message_im.json', 'events_api'],
    ['events_api_retry.json', 'events_api'],
    ['interactive_block_actions.json', 'interactive'],
    ['interactive_block_suggestion.json', 'interactive'],
    ['interactive_view_submission.json', 'interactive'],
    ['interactive_shortcut.json', 'interactive'],
    ['interactive_message_action.json', 'interactive'],
    ['slash_commands.json', 'slash_commands'],
  ];
  for (const [name, type] of cases) assert.equal(parse(fixture(name)).type, type, name);
});

test('envelope fields come through, retry fields default on kinds that lack them', () => {
  const retry = parse(fixture('events_api_retry.json')) as Envelope;
  assert.equal(retry.retry_attempt, 1);
  assert.equal(retry.retry_reason, 'timeout');
  const slash = parse(fixture('slash_commands.json'));
  assert.ok(isEnvelope(slash));
  assert.equal(slash.retry_attempt, 0);
  assert.equal(slash.retry_reason, '');
  assert.equal(slash.accepts_response_payload, true);
  assert.equal(slash.payload.command, '/deploy');
});

test('malformed frames are rejected with stable codes', () => {
  rejects('not json {', 'ERR_FRAME_NOT_JSON');
  rejects('[1,2]', 'ERR_FRAME_NOT_OBJECT');
  rejects('"hello"', 'ERR_FRAME_NOT_OBJECT');
  const unknown = rejects('{"type":"surprise","envelope_id":"e1"}', 'ERR_FRAME_UNKNOWN_TYPE');
  assert.equal(unknown.envelopeId, 'e1');
  // A type that is not a string is described by its JSON type, never converted (that can throw).
  const odd = rejects('{"type":{"toString":1},"envelope_id":"e5"}', 'ERR_FRAME_UNKNOWN_TYPE');
  assert.match(odd.message, /of JSON type object$/);
  assert.match(rejects('{"type":null}', 'ERR_FRAME_UNKNOWN_TYPE').message, /of JSON type null$/);
  assert.match(rejects('{"type":"x\\"y"}', 'ERR_FRAME_UNKNOWN_TYPE').message, /unknown frame type "x\\"y"$/);
  rejects('{"type":"events_api","payload":{}}', 'ERR_FRAME_MISSING_ENVELOPE_ID');
  rejects('{"type":"events_api","envelope_id":"e2","payload":"nope"}', 'ERR_FRAME_INVALID');
  rejects('{"type":"hello"}', 'ERR_FRAME_INVALID');
  rejects(JSON.stringify({ type: 'hello', num_connections: 1, pad: 'x'.repeat(2 * 1024 * 1024) }), 'ERR_FRAME_TOO_LARGE');
  rejects('{"type":"hello","num_connections":1}', 'ERR_FRAME_TOO_LARGE', 10);
});

test('each invalid envelope field is named; the envelope id travels with the error', () => {
  const frame = (fields: Record<string, unknown>) => JSON.stringify({ type: 'interactive', envelope_id: 'e3', payload: {}, ...fields });
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ envelope_id: 'x'.repeat(257) }, 'envelope_id'],
    [{ payload: null }, 'payload'],
    [{ payload: [1] }, 'payload'],
    [{ accepts_response_payload: 'yes' }, 'accepts_response_payload'],
    [{ retry_attempt: -1 }, 'retry_attempt'],
    [{ retry_attempt: 1.5 }, 'retry_attempt'],
    [{ retry_reason: 3 }, 'retry_reason'],
    [{ payload: { type: { toString: 1 } } }, 'payload.type'],
    [{ payload: { type: 7 } }, 'payload.type'],
  ];
  for (const [fields, where] of cases) {
    const err = rejects(frame(fields), 'ERR_FRAME_INVALID');
    assert.match(err.message, new RegExp(`at ${where}$`), JSON.stringify(fields));
    if (where !== 'envelope_id') assert.equal(err.envelopeId, 'e3');
  }
  const two = rejects(frame({ payload: 1, retry_reason: false }), 'ERR_FRAME_INVALID');
  assert.match(two.message, /at payload, retry_reason$/);
  const longest = parse(frame({ envelope_id: 'x'.repeat(256) })) as Envelope;
  assert.equal(longest.envelope_id.length, 256);
});

test('unknown fields are tolerated', () => {
  const frame = parse('{"type":"hello","num_connections":2,"future_field":{"a":1}}');
  assert.equal(frame.type, 'hello');
  const envelope = parse('{"type":"events_api","envelope_id":"e4","payload":{"x":1},"future_field":true}') as Envelope & { future_field?: unknown };
  assert.deepEqual(envelope, { type: 'events_api', envelope_id: 'e4', payload: { x: 1 }, future_field: true, accepts_response_payload: false, retry_attempt: 0, retry_reason: '' });
});

test('ack frames carry the envelope id and an optional payload', () => {
  assert.deepEqual(JSON.parse(ackFrame('e1')), { envelope_id: 'e1' });
  assert.deepEqual(JSON.parse(ackFrame('e1', { text: 'hi' })), { envelope_id: 'e1', payload: { text: 'hi' } });
});

test('frames nested deeper than the bound are rejected as invalid, not passed on to overflow the stack', () => {
  const nested = (levels: number) => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);
  // 20,000 levels is ~100 KB, well under the size limit: before the bound it parsed and then
  // toJobData threw a RangeError, so the envelope was never enqueued nor acked.
  const deep = `{"type":"events_api","envelope_id":"e-deep","payload":{"event_id":"Ev1","x":${nested(20000)}}}`;
  const err = rejects(deep, 'ERR_FRAME_INVALID');
  assert.equal(err.envelopeId, 'e-deep');
  assert.match(err.message, new RegExp(`deeper than ${DEFAULT_MAX_FRAME_DEPTH} levels`));
  assert.equal(DEFAULT_MAX_FRAME_DEPTH, 64);
  // Exactly at the bound passes (frame 1, payload 2, then 62 levels of objects and arrays) and
  // goes on into a job; one more level is rejected.
  const atBound = (extra: number) => `{"type":"interactive","envelope_id":"e4","payload":{"b":[${nested(61 + extra)}]}}`;
  const ok = parse(atBound(0)) as Envelope;
  assert.equal(toJobData(ok, { delivery: 'socket', receivedAt: 1 }).envelope_id, 'e4');
  rejects(atBound(1), 'ERR_FRAME_INVALID');
  rejects(`{"type":"hello","num_connections":1,"debug_info":${nested(100)}}`, 'ERR_FRAME_INVALID');
  assert.equal(parseFrame(atBound(1), 10, { maxDepth: 65 }).type, 'interactive', 'the bound is an option');
  // Every real fixture is far inside the bound.
  for (const name of ['interactive_view_submission.json', 'interactive_block_actions.json', 'events_api_app_mention.json']) {
    assert.equal(nestingExceeds(JSON.parse(fixture(name)), 20), false, name);
  }
});

test('nestingExceeds counts objects and arrays, not scalars, and handles any depth', () => {
  assert.equal(nestingExceeds(1, 0), false);
  assert.equal(nestingExceeds({}, 1), false);
  assert.equal(nestingExceeds({}, 0), true);
  assert.equal(nestingExceeds({ a: [{ b: 'x' }] }, 3), false);
  assert.equal(nestingExceeds({ a: [{ b: 'x' }] }, 2), true);
  assert.equal(nestingExceeds({ a: [{}], b: [[[]]] }, 3), true, 'the deepest branch counts');
  assert.equal(nestingExceeds(JSON.parse('['.repeat(50000) + ']'.repeat(50000)), 64), true);
});

test('hello and disconnect diagnostics are never a reason to refuse the frame; num_connections is', () => {
  // PROTOCOL.md §3.1: debug_info's semantics are undocumented. A hello whose build_number arrived
  // as a string used to be rejected, and with it every socket.
  const hello = parse(
    JSON.stringify({ type: 'hello', num_connections: 2, debug_info: { host: 5, build_number: '10', approximate_connection_time: '18060s', started: 1 }, connection_info: { app_id: 7, extra: true } }),
  );
  assert.equal(hello.type, 'hello');
  assert.equal(hello.type === 'hello' && hello.num_connections, 2);
  assert.deepEqual(hello.type === 'hello' && hello.debug_info, { host: 5, build_number: '10', approximate_connection_time: '18060s', started: 1 });
  assert.deepEqual(hello.type === 'hello' && hello.connection_info, { app_id: 7, extra: true });
  const odd = parse(JSON.stringify({ type: 'hello', num_connections: 1, debug_info: 'applink-1', connection_info: [1] }));
  assert.equal(odd.type === 'hello' && odd.debug_info, undefined, 'a non-object is dropped, not trusted');
  assert.equal(odd.type === 'hello' && odd.connection_info, undefined);
  const bye = parse(JSON.stringify({ type: 'disconnect', reason: 'warning', debug_info: { host: null } }));
  assert.equal(bye.type === 'disconnect' && bye.reason, 'warning');
  assert.equal(parse(JSON.stringify({ type: 'disconnect', reason: 'refresh_requested', debug_info: 42 })).type, 'disconnect');
  // The field the connector reads is still checked.
  rejects(JSON.stringify({ type: 'hello', num_connections: '1', debug_info: {} }), 'ERR_FRAME_INVALID');
  rejects(JSON.stringify({ type: 'hello', num_connections: -1 }), 'ERR_FRAME_INVALID');
  rejects(JSON.stringify({ type: 'disconnect', reason: '' }), 'ERR_FRAME_INVALID');
});
