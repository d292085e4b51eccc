// HTTP delivery end to end in process: the signed fixtures of PROTOCOL.md §5.1 (ts 1700000000, so
// the receiver's clock is injected) are accepted, enqueued through the same ingestor as socket
// envelopes and acked by the HTTP response; every refusal answers the right status, is logged
// without the body or the signature, is counted, and enqueues nothing.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { QUEUE_NAMES } from '@socketworks/protocol';
import { startPrivateRedis, waitFor } from '@socketworks/testing';
import { metricValue } from '../test-support/log-capture';
import { startHarness, type Harness } from '../test-support/harness';
import { signSlackRequest } from './signature';

const SECRET = 'fakeSigningSecret0000000000000001';
const TS = 1700000000;
const MAX_BODY = 4096;
const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures', name));
const SIGNED: Record<string, string> = {
  'http_slash_command.form': 'v0=1482f25ffc68d7c08779f5b16d1288fb88edcd99ba3d9499b05747432a5237e7',
  'http_block_actions.form': 'v0=e4ce1aa73b7e44f44cb08fefecfd1066b4613046d01a9aad0e919d14109ad942',
  'http_event_callback.json': 'v0=a60b12c85c830ca146cd4204bc128e8486bfd325dd84de9c0a0761e467d97460',
  'http_url_verification.json': 'v0=ab90280e5b7e23de92b4a866a641174a62425c9055919dfc8e4c6b241ed3ec4b',
};

let h: Harness;
let nowMs = TS * 1000 + 2000;
let url: string;

before(async () => {
  h = await startHarness({
    name: 'http',
    // The sync lane is not under test here: no wait for a handler's answer.
    env: { SLACK_DELIVERY: 'http', SLACK_SIGNING_SECRET: SECRET, HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', HTTP_MAX_BODY_BYTES: String(MAX_BODY), SYNC_ACK_BUDGET_MS: '0' },
    deps: { httpNow: () => nowMs },
    waitForSockets: 0,
  });
  url = `http://127.0.0.1:${h.connector.http!.port!}/slack/events`;
});

after(async () => {
  await h?.close();
});

function post(body: Buffer | string, headers: Record<string, string>, target = url): Promise<Response> {
  return fetch(target, { method: 'POST', headers, body });
}

/** A body streamed without a content-length (chunked), so only the byte count can catch its size. */
function postChunked(body: Buffer): Promise<Response> {
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < body.length; i += 1024) controller.enqueue(body.subarray(i, i + 1024));
      controller.close();
    },
  });
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: stream, duplex: 'half' } as RequestInit);
}

function signedHeaders(name: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'content-type': name.endsWith('.json') ? 'application/json' : 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(TS),
    'x-slack-signature': SIGNED[name]!,
    ...extra,
  };
}

async function allJobs() {
  const lists = await Promise.all(QUEUE_NAMES.map(async (q) => (await h.jobs(q)).map((j) => ({ ...j, queue: q }))));
  return lists.flat();
}

test('each signed fixture is accepted and acked by the response; envelopes become jobs like socket ones', async () => {
  const event = await post(fixture('http_event_callback.json'), signedHeaders('http_event_callback.json'));
  assert.equal(event.status, 200);
  assert.equal(await event.text(), '', 'a bare ack has an empty body');
  const command = await post(fixture('http_slash_command.form'), signedHeaders('http_slash_command.form'));
  assert.equal(command.status, 200);
  const click = await post(fixture('http_block_actions.form'), signedHeaders('http_block_actions.form'));
  assert.equal(click.status, 200);
  const check = await post(fixture('http_url_verification.json'), signedHeaders('http_url_verification.json'));
  assert.equal(check.status, 200);
  assert.deepEqual(await check.json(), { challenge: 'FAKEchallengeFAKEchallengeFAKEchallenge0001' });
  const ssl = await post('ssl_check=1&token=FAKEverificationTOKEN0001', { 'content-type': 'application/x-www-form-urlencoded' });
  assert.equal(ssl.status, 200);

  const jobs = await allJobs();
  assert.equal(jobs.length, 3, 'url_verification and ssl_check enqueue nothing');
  const ev = jobs.find((j) => j.id === 'ev-Ev0000000001')!;
  assert.equal(ev.queue, 'events');
  assert.equal(ev.data.delivery, 'http');
  assert.equal(ev.data.type, 'events_api');
  assert.match(String(ev.data.envelope_id), /^[0-9a-f-]{36}$/, 'a generated envelope id (uuid)');
  assert.equal((ev.data.payload as Record<string, unknown>).token, undefined, 'the verification token is scrubbed, as for socket envelopes');
  const cmd = jobs.find((j) => j.data.type === 'slash_commands')!;
  assert.equal((cmd.data.payload as Record<string, unknown>).command, '/deploy');
  assert.equal(cmd.data.accepts_response_payload, true);
  const act = jobs.find((j) => j.data.type === 'interactive')!;
  assert.equal((act.data.payload as Record<string, unknown>).type, 'block_actions');

  // Slack's retry of the same event (headers are not signed): one job, counted as a redelivery.
  const retry = await post(fixture('http_event_callback.json'), signedHeaders('http_event_callback.json', { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' }));
  assert.equal(retry.status, 200);
  assert.equal((await allJobs()).length, 3, 'the retry is the same job');
  assert.equal(await metricValue(h.connector.registry, 'socketworks_connector_redeliveries_total'), 1);
  assert.equal(await metricValue(h.connector.registry, 'socketworks_connector_duplicates_total'), 1);
  assert.equal(await metricValue(h.connector.registry, 'socketworks_connector_acks_total', { type: 'events_api' }), 2);
});

test('refused: tampered body, wrong secret, stale and future timestamps, no signature, oversized, bad body, wrong path or verb — nothing enqueued', async () => {
  const before = (await allJobs()).length;
  const name = 'http_event_callback.json';
  const body = fixture(name);
  const tampered = Buffer.from(body.toString('utf8').replace('deploy status', 'deploy statuz'));
  const otherSecret = signSlackRequest('anotherSigningSecret000000000001', String(TS), body);
  const huge = Buffer.from(JSON.stringify({ type: 'event_callback', event_id: 'EvHuge', event: { type: 'app_mention', text: 'x'.repeat(MAX_BODY) } }));
  const notJson = Buffer.from('{"type": "event_callback", ');
  const cases: Array<[string, () => Promise<Response>, number, string]> = [
    ['tampered body', () => post(tampered, signedHeaders(name)), 401, 'bad_signature'],
    ['wrong secret', () => post(body, signedHeaders(name, { 'x-slack-signature': otherSecret })), 401, 'bad_signature'],
    ['no signature', () => post(body, { 'content-type': 'application/json' }), 401, 'missing_signature'],
    ['oversized', () => post(huge, { 'content-type': 'application/json', 'x-slack-request-timestamp': String(TS), 'x-slack-signature': signSlackRequest(SECRET, String(TS), huge) }), 413, 'body_too_large'],
    ['oversized, chunked (no content-length)', () => postChunked(huge), 413, 'body_too_large'],
    ['not JSON (signed)', () => post(notJson, { 'content-type': 'application/json', 'x-slack-request-timestamp': String(TS), 'x-slack-signature': signSlackRequest(SECRET, String(TS), notJson) }), 400, 'bad_body'],
    ['GET', () => fetch(url), 405, 'method_not_allowed'],
    ['another path', () => post(body, signedHeaders(name), url.replace('/slack/events', '/slack/other')), 404, 'not_found'],
  ];
  for (const [what, send, status, reason] of cases) {
    const res = await send();
    assert.equal(res.status, status, what);
    await res.text();
    assert.ok((await metricValue(h.connector.registry, 'socketworks_connector_http_rejected_total', { reason })) >= 1, `${what} counted under ${reason}`);
  }
  for (const [what, at] of [['stale (5 min + 1 s old)', TS + 301], ['future (5 min + 1 s ahead)', TS - 301]] as const) {
    nowMs = at * 1000;
    try {
      const res = await post(body, signedHeaders(name));
      assert.equal(res.status, 401, what);
    } finally {
      nowMs = TS * 1000 + 2000;
    }
  }
  assert.equal(await metricValue(h.connector.registry, 'socketworks_connector_http_rejected_total', { reason: 'stale_timestamp' }), 2);
  assert.equal((await allJobs()).length, before, 'nothing enqueued');

  const refusals = h.logs.find((l) => l.msg === 'HTTP request refused: nothing enqueued');
  assert.equal(refusals.length, 10);
  assert.ok(refusals.every((l) => l.level === 'warn' && typeof l.reason === 'string'));
  const raw = h.logs.raw.join('\n');
  for (const secret of [SECRET, SIGNED[name]!.slice(3), otherSecret.slice(3), 'deploy statuz', 'FAKEverificationTOKEN0001']) {
    assert.ok(!raw.includes(secret), `the logs never carry ${secret.slice(0, 12)}…`);
  }
});

test('Redis cannot take the job: 503 (Slack retries an event on a non-2xx), nothing acked', async () => {
  const redis = await startPrivateRedis();
  const down = await startHarness({
    name: 'http503',
    redisUrl: redis.url,
    env: { SLACK_DELIVERY: 'http', SLACK_SIGNING_SECRET: SECRET, HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', SYNC_ACK_BUDGET_MS: '0', CONNECTOR_ENQUEUE_TIMEOUT_MS: '200' },
    deps: { httpNow: () => TS * 1000 },
    waitForSockets: 0,
    logLevel: 'info',
  });
  try {
    await redis.stop();
    const target = `http://127.0.0.1:${down.connector.http!.port!}/slack/events`;
    const res = await post(fixture('http_event_callback.json'), signedHeaders('http_event_callback.json'), target);
    assert.equal(res.status, 503);
    assert.equal(await metricValue(down.connector.registry, 'socketworks_connector_enqueue_failures_total', { type: 'events_api' }), 1);
    assert.equal(await metricValue(down.connector.registry, 'socketworks_connector_acks_total', { type: 'events_api' }), 0);
  } finally {
    await redis.start();
    await down.close();
    await redis.stop();
  }
});

test('SLACK_DELIVERY=both: the same event over the socket and over HTTP is one job; readiness follows HTTP', async () => {
  const both = await startHarness({
    name: 'httpboth',
    env: { SLACK_DELIVERY: 'both', SLACK_SIGNING_SECRET: SECRET, HTTP_PORT: '0', HTTP_HOST: '127.0.0.1', SYNC_ACK_BUDGET_MS: '0' },
    deps: { httpNow: () => TS * 1000 },
    logLevel: 'info',
  });
  try {
    const payload = JSON.parse(fixture('http_event_callback.json').toString('utf8')) as Record<string, unknown>;
    const overSocket = both.sim.inject({ type: 'events_api', payload });
    const res = await post(fixture('http_event_callback.json'), signedHeaders('http_event_callback.json'), `http://127.0.0.1:${both.connector.http!.port!}/slack/events`);
    assert.equal(res.status, 200);
    await waitFor(() => both.sim.acks().some((a) => a.envelopeId === overSocket.envelopeId), { message: 'the socket ack' });
    const jobs = await both.jobs('events');
    assert.deepEqual(jobs.map((j) => j.id), ['ev-Ev0000000001'], 'one job for both deliveries');
    const ready = await fetch(`http://127.0.0.1:${both.connector.opsPort!}/readyz`);
    assert.equal(ready.status, 200);
    const body = (await ready.json()) as Record<string, unknown>;
    assert.equal(body.delivery, 'both');
    assert.equal(body.http_listening, true);
    // Socket Mode turned off: Slack now delivers over HTTP, so the replica stays ready.
    both.sim.setLinkDisabled(true);
    await waitFor(() => both.connector.slots.halted?.reason === 'link_disabled', { message: 'sockets halted' });
    const after = await fetch(`http://127.0.0.1:${both.connector.opsPort!}/readyz`);
    assert.equal(after.status, 200);
    assert.equal(((await after.json()) as Record<string, unknown>).halted, 'link_disabled');
  } finally {
    await both.close();
  }
});
