// HTTP delivery end to end: Slack's signed POSTs to the connector process's /slack/events
// (SLACK_DELIVERY=both, so its sockets stay up too) → the same queues → the worker process running
// the bundled example app → the answer in the HTTP response itself (the sync lane) or through the
// Web API. The app moves between Socket Mode and HTTP without a change to the workers.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { appMentionPayload, blockSuggestionPayload, slashCommandPayload, type SlackSim } from '@socketworks/slack-sim';
import { freePort, uniquePrefix, waitFor } from '@socketworks/testing';
import { startE2eStack, type E2eStack } from './stack';

const SECRET = 'e2e-http-signing-secret-0123456789';
let stack: E2eStack;
let sim: SlackSim;
let url: string;

before(async () => {
  const port = await freePort();
  stack = await startE2eStack({
    queuePrefix: uniquePrefix('http-e2e'),
    connectorEnv: { SLACK_DELIVERY: 'both', SLACK_SIGNING_SECRET: SECRET, HTTP_PORT: String(port), HTTP_HOST: '127.0.0.1' },
  });
  sim = stack.sim;
  await stack.connector.waitForLog((l) => l.msg === 'http listening', { timeoutMs: 10000, message: 'the HTTP receiver' });
  url = `http://127.0.0.1:${port}/slack/events`;
});

after(() => stack?.stop());

/** POSTs a body as Slack does: `X-Slack-Signature` = v0= HMAC-SHA256 of `v0:<ts>:<body>` (PROTOCOL.md §5). */
function postSigned(body: string, contentType: string, secret = SECRET): Promise<Response> {
  const ts = String(Math.floor(Date.now() / 1000));
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`;
  return fetch(url, { method: 'POST', headers: { 'content-type': contentType, 'x-slack-request-timestamp': ts, 'x-slack-signature': signature }, body });
}

const form = (fields: Record<string, unknown>) => new URLSearchParams(Object.entries(fields).map(([k, v]): [string, string] => [k, String(v)])).toString();

test('/echo now over HTTP: the handler’s answer is the response to the POST, well inside 3 s', async () => {
  const started = performance.now();
  const res = await postSigned(form(slashCommandPayload({ command: '/echo', text: 'now' })), 'application/x-www-form-urlencoded');
  const elapsedMs = performance.now() - started;
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.deepEqual(await res.json(), { response_type: 'ephemeral', text: 'Echo: now' });
  assert.ok(elapsedMs < 3000, `answered after ${Math.round(elapsedMs)} ms`);
  assert.equal(sim.responseUrlCalls().length, 0, 'no response_url call: the answer went in the response');
});

test('an options load over HTTP: the options are the response (the typed value first)', async () => {
  const payload = blockSuggestionPayload({ action_id: 'example_select', value: 'typed-over-http' });
  const res = await postSigned(form({ payload: JSON.stringify(payload) }), 'application/x-www-form-urlencoded');
  assert.equal(res.status, 200);
  const body = (await res.json()) as { options: Array<{ value: string }> };
  assert.equal(body.options[0]?.value, 'typed-over-http');
});

test('an app_mention over HTTP: an empty 200 at once, then the worker answers in the thread through the Web API', async () => {
  const event = appMentionPayload({ text: '<@U0000002> hello over HTTP' });
  const res = await postSigned(JSON.stringify(event), 'application/json');
  assert.equal(res.status, 200);
  assert.equal(await res.text(), '');
  const ts = (event.event as { ts: string }).ts;
  const call = await waitFor(() => sim.apiCalls('chat.postMessage').find((c) => c.args.thread_ts === ts), { timeoutMs: 5000, message: 'the answer' });
  assert.match(String(call.args.text), /hello over HTTP/);
  assert.equal(call.args.channel, 'C0000001');
});

test('a request signed with another secret: 401 and no answer', async () => {
  const event = appMentionPayload({ text: '<@U0000002> forged' });
  const res = await postSigned(JSON.stringify(event), 'application/json', 'not-the-signing-secret-0000000000');
  assert.equal(res.status, 401);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(sim.apiCalls('chat.postMessage').filter((c) => String(c.args.text).includes('forged')).length, 0);
});
