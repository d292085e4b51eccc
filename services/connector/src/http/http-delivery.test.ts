// HTTP bodies → the envelopes a socket would carry (PROTOCOL.md §5 table).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HttpBodyError, isSslCheck, parseHttpDelivery } from './http-delivery';

const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures', name));
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' };

test('Events API JSON → events_api envelope; retry headers → retry_attempt / retry_reason', () => {
  const first = parseHttpDelivery(fixture('http_event_callback.json'), JSON_TYPE, 'env-1');
  assert.equal(first.kind, 'envelope');
  assert.deepEqual(first.kind === 'envelope' && { ...first.envelope, payload: undefined }, {
    type: 'events_api',
    envelope_id: 'env-1',
    payload: undefined,
    accepts_response_payload: false,
    retry_attempt: 0,
    retry_reason: '',
  });
  const retried = parseHttpDelivery(fixture('http_event_callback.json'), { ...JSON_TYPE, 'x-slack-retry-num': '2', 'x-slack-retry-reason': 'http_timeout' }, 'env-2');
  assert.ok(retried.kind === 'envelope');
  assert.equal(retried.envelope.retry_attempt, 2);
  assert.equal(retried.envelope.retry_reason, 'http_timeout');
  assert.equal(retried.envelope.payload.event_id, 'Ev0000000001');
});

test('url_verification, interactivity, options loads, slash commands, ssl_check', () => {
  assert.deepEqual(parseHttpDelivery(fixture('http_url_verification.json'), JSON_TYPE, 'e'), { kind: 'url_verification', challenge: 'FAKEchallengeFAKEchallengeFAKEchallenge0001' });
  const click = parseHttpDelivery(fixture('http_block_actions.form'), FORM, 'e');
  assert.ok(click.kind === 'envelope');
  assert.equal(click.envelope.type, 'interactive');
  assert.equal(click.envelope.payload.type, 'block_actions');
  assert.equal(click.envelope.accepts_response_payload, false);
  const options = parseHttpDelivery(Buffer.from(`payload=${encodeURIComponent(JSON.stringify({ type: 'block_suggestion', value: 'ap' }))}`), FORM, 'e');
  assert.ok(options.kind === 'envelope' && options.envelope.type === 'interactive' && options.envelope.accepts_response_payload === true);
  const command = parseHttpDelivery(fixture('http_slash_command.form'), FORM, 'e');
  assert.ok(command.kind === 'envelope');
  assert.equal(command.envelope.type, 'slash_commands');
  assert.equal(command.envelope.accepts_response_payload, true);
  assert.equal(command.envelope.payload.command, '/deploy');
  assert.equal(command.envelope.payload.text, 'api production');
  assert.ok(isSslCheck(Buffer.from('ssl_check=1&token=abc'), 'application/x-www-form-urlencoded'));
  assert.ok(!isSslCheck(Buffer.from('ssl_check=1'), 'application/json'));
});

test('bodies Slack would not send are HttpBodyError (400)', () => {
  const bad: Array<[string, Record<string, string>]> = [
    ['{not json', JSON_TYPE],
    ['[1,2]', JSON_TYPE],
    ['{"no":"type"}', JSON_TYPE],
    ['{"type":"url_verification"}', JSON_TYPE],
    ['payload=%7Bnot', FORM],
    ['payload=%7B%7D', FORM],
    ['a=b', FORM],
    ['hello', { 'content-type': 'text/plain' }],
    ['hello', {}],
    // Nested deeper than any Slack payload (20,000 levels would overflow the stack building job data).
    [`{"type":"event_callback","e":${'['.repeat(20000)}${']'.repeat(20000)}}`, JSON_TYPE],
    [`payload=${encodeURIComponent(`{"type":"block_actions","a":${'{"b":'.repeat(100)}1${'}'.repeat(100)}}`)}`, FORM],
  ];
  for (const [body, headers] of bad) assert.throws(() => parseHttpDelivery(Buffer.from(body), headers, 'e'), HttpBodyError, body.slice(0, 80));
});

test("a body nested exactly as deep as the bound (63 levels, the socket frame's 64 less the envelope) is taken; one level more is not", () => {
  const body = `{"type":"event_callback","event_id":"Ev1","event":${'{"a":'.repeat(62)}1${'}'.repeat(62)}}`;
  const delivery = parseHttpDelivery(Buffer.from(body), JSON_TYPE, 'e');
  assert.equal(delivery.kind, 'envelope');
  assert.throws(() => parseHttpDelivery(Buffer.from(body.replace('"event":', '"event":{"x":').concat('}')), JSON_TYPE, 'e'), /nests deeper than 63 levels/);
});
