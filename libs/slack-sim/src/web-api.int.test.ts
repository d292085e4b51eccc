import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { WebClient, ErrorCode, LogLevel, type WebAPIPlatformError, type WebAPIRateLimitedError } from '@slack/web-api';
import { waitFor } from '@socketworks/testing';
import { SlackSim } from './slack-sim';
import { blockActionsPayload, slashCommandPayload } from './payloads';
import { api, APP_TOKEN, BOT_TOKEN, TestSocket } from './test-helpers';
import { WINDOW_SLACK_MS } from './rate-limiter';
import type { SlackSimOptions } from './types';

async function startSim(t: TestContext, options: SlackSimOptions = {}): Promise<SlackSim> {
  const sim = await SlackSim.start(options);
  t.after(() => sim.close());
  return sim;
}

/** Injects a slash command over an open socket and returns its live trigger_id and response_url. */
async function deliveredInteraction(t: TestContext, sim: SlackSim) {
  const socket = await TestSocket.open(sim);
  t.after(() => socket.close());
  const result = sim.inject({ type: 'slash_commands', payload: slashCommandPayload({ command: '/deploy', text: 'x' }) });
  await socket.nextEnvelope(0);
  return { triggerId: result.triggerId!, responseUrl: result.responseUrl!, envelopeId: result.envelopeId, socket };
}

const modal = { type: 'modal', callback_id: 'm', title: { type: 'plain_text', text: 'T' }, blocks: [] };

test('apps.connections.open: bearer app token only, POST only', async (t) => {
  const sim = await startSim(t, { appTokens: [APP_TOKEN] });
  assert.deepEqual((await api(sim, 'apps.connections.open', { form: { token: APP_TOKEN } })).body, { ok: false, error: 'not_authed' });
  assert.deepEqual((await api(sim, 'apps.connections.open', { token: 'xapp-1-other' })).body, { ok: false, error: 'invalid_auth' });
  assert.deepEqual((await api(sim, 'apps.connections.open', { token: BOT_TOKEN })).body, { ok: false, error: 'not_allowed_token_type' });
  assert.deepEqual((await api(sim, 'apps.connections.open', { token: APP_TOKEN, httpMethod: 'GET' })).body, { ok: false, error: 'insecure_request' });
  const ok = await api(sim, 'apps.connections.open', { token: APP_TOKEN });
  assert.equal(ok.status, 200);
  assert.equal(ok.body!.ok, true);
  assert.match(ok.body!.url as string, /^ws:\/\/127\.0\.0\.1:\d+\/link\/\?ticket=/);
  const calls = sim.apiCalls('apps.connections.open');
  assert.equal(calls.length, 5);
  assert.deepEqual(
    calls.map((c) => c.error ?? 'ok'),
    ['not_authed', 'invalid_auth', 'not_allowed_token_type', 'insecure_request', 'ok'],
  );
  assert.equal(calls[4]!.token, APP_TOKEN);
});

test('apps.connections.open errors set by the driver are answered as Slack does', async (t) => {
  const sim = await startSim(t);
  sim.setConnectionsOpenError('ratelimited', { count: 1 });
  const limited = await api(sim, 'apps.connections.open', { token: APP_TOKEN });
  assert.equal(limited.status, 429);
  assert.equal(limited.headers.get('retry-after'), '1');
  assert.deepEqual(limited.body, { ok: false, error: 'ratelimited' });
  assert.equal((await api(sim, 'apps.connections.open', { token: APP_TOKEN })).body!.ok, true, 'count 1: only the next call fails');

  sim.setConnectionsOpenError('internal_error');
  for (let i = 0; i < 2; i++) {
    const res = await api(sim, 'apps.connections.open', { token: APP_TOKEN });
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { ok: false, error: 'internal_error' });
  }
  sim.setConnectionsOpenError('service_unavailable', { httpStatus: 503, count: 1 });
  const unavailable = await api(sim, 'apps.connections.open', { token: APP_TOKEN });
  assert.equal(unavailable.status, 503);
  assert.equal(unavailable.body, null);
  sim.setConnectionsOpenError(null);
  assert.equal((await api(sim, 'apps.connections.open', { token: APP_TOKEN })).body!.ok, true);
  assert.equal(sim.apiCalls().at(-2)!.status, 503);
});

test('Web API auth: not_authed, invalid_auth, a token form field, and no app tokens', async (t) => {
  const sim = await startSim(t, { botTokens: [BOT_TOKEN] });
  const args = { channel: 'C0000001', text: 'hi' };
  assert.deepEqual((await api(sim, 'chat.postMessage', { body: args })).body, { ok: false, error: 'not_authed' });
  assert.deepEqual((await api(sim, 'chat.postMessage', { body: { ...args, token: BOT_TOKEN } })).body, { ok: false, error: 'not_authed' }, 'no token in JSON bodies');
  assert.deepEqual((await api(sim, 'chat.postMessage', { body: args, token: 'xoxb-unknown' })).body, { ok: false, error: 'invalid_auth' });
  assert.deepEqual((await api(sim, 'chat.postMessage', { body: args, token: APP_TOKEN })).body, { ok: false, error: 'not_allowed_token_type' });
  const form = await api(sim, 'chat.postMessage', { form: { ...args, token: BOT_TOKEN } });
  assert.equal(form.body!.ok, true);
  const recorded = sim.apiCalls('chat.postMessage').at(-1)!;
  assert.equal(recorded.token, BOT_TOKEN);
  assert.equal(recorded.args.token, undefined, 'the token is not kept among the args');
  const auth = await api(sim, 'auth.test', { token: BOT_TOKEN });
  assert.deepEqual(Object.keys(auth.body!).sort(), ['bot_id', 'is_enterprise_install', 'ok', 'team', 'team_id', 'url', 'user', 'user_id']);
  assert.deepEqual((await api(sim, 'no.such.method', { token: BOT_TOKEN })).body, { ok: false, error: 'unknown_method' });
});

test('chat.postMessage to a user id posts in the bot\'s DM with that user and names the DM', async (t) => {
  const sim = await startSim(t);
  const post = (body: Record<string, unknown>) => api(sim, 'chat.postMessage', { token: BOT_TOKEN, body });
  const first = (await post({ channel: 'U0ALICE1', text: 'hello' })).body!;
  assert.equal(first.ok, true);
  assert.match(first.channel as string, /^D[A-Z0-9]+$/, 'the DM channel, not the user id');
  const again = (await post({ channel: 'U0ALICE1', text: 'again' })).body!;
  assert.equal(again.channel, first.channel, 'the same DM each time');
  const other = (await post({ channel: 'W0BOB0001', text: 'hi' })).body!;
  assert.notEqual(other.channel, first.channel, 'one DM per user');
  const history = (await api(sim, 'conversations.history', { token: BOT_TOKEN, body: { channel: first.channel } })).body!;
  assert.deepEqual((history.messages as Array<{ text: string }>).map((m) => m.text), ['again', 'hello']);
});

test('chat methods check their arguments and answer with increasing ts', async (t) => {
  const sim = await startSim(t);
  const post = (body: Record<string, unknown>) => api(sim, 'chat.postMessage', { token: BOT_TOKEN, body });
  assert.equal((await post({ channel: 'general', text: 'x' })).body!.error, 'channel_not_found');
  assert.equal((await post({ text: 'x' })).body!.error, 'invalid_arguments');
  assert.equal((await post({ channel: 'C1' })).body!.error, 'invalid_arguments');
  assert.equal((await post({ channel: 'C1', blocks: 'nope' })).body!.error, 'invalid_blocks_format');
  const first = (await post({ channel: 'C0000001', text: 'one', thread_ts: '1700000000.000100' })).body!;
  const second = (await post({ channel: 'D0000001', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'two' } }] })).body!;
  assert.equal(first.ok, true);
  assert.equal(first.channel, 'C0000001');
  assert.match(first.ts as string, /^\d{10}\.\d{6}$/);
  assert.ok(Number(second.ts) > Number(first.ts));
  const message = first.message as Record<string, unknown>;
  assert.equal(message.text, 'one');
  assert.equal(message.ts, first.ts);
  assert.equal(message.thread_ts, '1700000000.000100');
  assert.equal(message.bot_id, 'B0000001');

  const update = await api(sim, 'chat.update', { token: BOT_TOKEN, body: { channel: 'C0000001', ts: first.ts, text: 'edited' } });
  assert.deepEqual([update.body!.ok, update.body!.ts, update.body!.text], [true, first.ts, 'edited']);
  assert.equal((await api(sim, 'chat.update', { token: BOT_TOKEN, body: { channel: 'C0000001', text: 'x' } })).body!.error, 'invalid_arguments');
  const eph = await api(sim, 'chat.postEphemeral', { token: BOT_TOKEN, body: { channel: 'C0000001', user: 'U0000001', text: 'psst' } });
  assert.equal(eph.body!.ok, true);
  assert.match(eph.body!.message_ts as string, /^\d+\.\d{6}$/);
  assert.equal((await api(sim, 'chat.postEphemeral', { token: BOT_TOKEN, body: { channel: 'C0000001', text: 'x' } })).body!.error, 'invalid_arguments');
});

test('the official WebClient works against the simulator (form bodies with JSON-encoded objects)', async (t) => {
  const sim = await startSim(t);
  const client = new WebClient(BOT_TOKEN, { slackApiUrl: sim.apiUrl, retryConfig: { retries: 0 } });
  const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*hi*' } }];
  const posted = await client.chat.postMessage({ channel: 'C0000001', text: 'hi', blocks });
  assert.equal(posted.ok, true);
  const call = sim.apiCalls('chat.postMessage')[0]!;
  assert.deepEqual(call.args.blocks, blocks, 'blocks arrive as an array, not a JSON string');
  const { triggerId } = await deliveredInteraction(t, sim);
  const opened = await client.views.open({ trigger_id: triggerId, view: modal as never });
  assert.equal(opened.ok, true);
  assert.match(opened.view!.id!, /^V[A-Z0-9]+$/);
  await assert.rejects(client.views.open({ trigger_id: triggerId, view: modal as never }), (err: WebAPIPlatformError) => {
    assert.equal(err.code, ErrorCode.PlatformError);
    assert.equal(err.data.error, 'exchanged_trigger_id');
    return true;
  });
});

test('trigger_id: unknown, valid once, then exchanged; expired after triggerTtlMs from delivery', async (t) => {
  const sim = await startSim(t, { triggerTtlMs: 40 });
  const open = (trigger_id: string) => api(sim, 'views.open', { token: BOT_TOKEN, body: { trigger_id, view: modal } });
  assert.equal((await open('1.2.unknown')).body!.error, 'invalid_trigger_id');

  // Not yet delivered: the clock has not started.
  const queued = sim.inject({ type: 'interactive', payload: blockActionsPayload({ actions: [{ action_id: 'a' }] }) });
  const { triggerId } = await deliveredInteraction(t, sim);
  const ok = await open(triggerId);
  assert.equal(ok.body!.ok, true, JSON.stringify(ok.body));
  const view = ok.body!.view as Record<string, unknown>;
  assert.deepEqual([view.type, view.callback_id, view.root_view_id], ['modal', 'm', view.id]);
  assert.match(view.hash as string, /^\d+\.[0-9a-f]+$/);
  assert.equal((await open(triggerId)).body!.error, 'exchanged_trigger_id');
  assert.equal((await api(sim, 'views.push', { token: BOT_TOKEN, body: { trigger_id: triggerId, view: modal } })).body!.error, 'exchanged_trigger_id');

  const sentAt = sim.deliveries().find((d) => d.envelopeId === queued.envelopeId)!.sentAt!;
  await waitFor(() => performance.timeOrigin + performance.now() > sentAt + 60, { intervalMs: 5 });
  assert.equal((await open(queued.triggerId!)).body!.error, 'expired_trigger_id');
  assert.equal((await api(sim, 'views.open', { token: BOT_TOKEN, body: { view: modal } })).body!.error, 'invalid_arguments');
});

test('views.update checks hash and ids; views.publish needs a home view', async (t) => {
  const sim = await startSim(t);
  const { triggerId } = await deliveredInteraction(t, sim);
  const opened = (await api(sim, 'views.open', { token: BOT_TOKEN, body: { trigger_id: triggerId, view: { ...modal, external_id: 'ext-1' } } })).body!;
  const view = opened.view as { id: string; hash: string };
  const update = (body: Record<string, unknown>) => api(sim, 'views.update', { token: BOT_TOKEN, body: { view: modal, ...body } });
  assert.equal((await update({ view_id: view.id, hash: 'stale.hash' })).body!.error, 'hash_conflict');
  const updated = (await update({ view_id: view.id, hash: view.hash })).body!;
  assert.equal(updated.ok, true);
  assert.notEqual((updated.view as { hash: string }).hash, view.hash, 'a new hash after each update');
  assert.equal((await update({ external_id: 'ext-1' })).body!.ok, true);
  assert.equal((await update({ external_id: 'nope' })).body!.error, 'not_found');
  assert.equal((await update({ view_id: 'not-a-view' })).body!.error, 'not_found');
  assert.equal((await update({})).body!.error, 'invalid_arguments');

  const home = { type: 'home', blocks: [] };
  const published = (await api(sim, 'views.publish', { token: BOT_TOKEN, body: { user_id: 'U0000001', view: home } })).body!;
  assert.equal(published.ok, true);
  assert.equal((published.view as { type: string }).type, 'home');
  assert.equal((await api(sim, 'views.publish', { token: BOT_TOKEN, body: { user_id: 'U0000001', view: modal } })).body!.error, 'invalid_arguments');
  assert.equal((await api(sim, 'views.publish', { token: BOT_TOKEN, body: { user_id: 'U0000001', view: home, hash: 'old' } })).body!.error, 'hash_conflict');
});

test('rate limit rule: a 429 with Retry-After, and 429s inside its window marked early; WebClient sees it', async (t) => {
  const sim = await startSim(t);
  sim.setRateLimit({ method: 'chat.postMessage', count: 2, retryAfterSeconds: 7 });
  const body = { channel: 'C0000001', text: 'x' };
  assert.equal((await api(sim, 'auth.test', { token: BOT_TOKEN })).status, 200, 'other methods are not limited');
  for (let i = 0; i < 3; i++) {
    const res = await api(sim, 'chat.postMessage', { token: BOT_TOKEN, body });
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('retry-after'), '7', 'the seconds left, rounded up');
    assert.deepEqual(res.body, { ok: false, error: 'ratelimited' });
  }
  assert.deepEqual(
    sim.apiCalls('chat.postMessage').map((c) => c.early ?? false),
    [false, true, true],
    'the first opened the window, the retries at once came early',
  );
  assert.equal(sim.apiCalls('auth.test')[0]!.early, undefined, 'absent on calls that were not early');

  sim.setRateLimit({ method: '*', count: 2, retryAfterSeconds: 3 });
  assert.equal((await api(sim, 'chat.postMessage', { token: BOT_TOKEN, body })).status, 429, 'a new rule: a fresh window');
  const client = new WebClient(BOT_TOKEN, { slackApiUrl: sim.apiUrl, rejectRateLimitedCalls: true, logLevel: LogLevel.ERROR });
  await assert.rejects(client.auth.test(), (err: WebAPIRateLimitedError) => {
    assert.equal(err.code, ErrorCode.RateLimitedError);
    assert.equal(err.retryAfter, 3);
    return true;
  });
  const limited = sim.apiCalls().filter((c) => c.status === 429);
  assert.equal(limited.length, 5);
  assert.ok(limited.every((c) => c.error === 'ratelimited' && !c.ok));
  sim.setRateLimit(null);
  assert.equal((await api(sim, 'chat.postMessage', { token: BOT_TOKEN, body })).status, 200, 'null clears the rule and its windows');
});

test('a client that retries at once keeps getting 429 for the whole window; one that waits Retry-After gets through', async (t) => {
  const sim = await startSim(t);
  sim.setRateLimit({ method: 'chat.postMessage', count: 1, retryAfterSeconds: 1 });
  const impatient = new WebClient(BOT_TOKEN, { slackApiUrl: sim.apiUrl, rejectRateLimitedCalls: true, logLevel: LogLevel.ERROR });
  const started = performance.now();
  let refused = 0;
  // Retrying at once for 600 ms, well inside the 1 s window: every try is refused.
  while (performance.now() - started < 600) {
    await assert.rejects(impatient.chat.postMessage({ channel: 'C0000001', text: 'now' }), (err: WebAPIRateLimitedError) => {
      assert.equal(err.code, ErrorCode.RateLimitedError);
      assert.equal(err.retryAfter, 1);
      return true;
    });
    refused += 1;
  }
  assert.ok(refused >= 3, `${refused} tries`);
  const calls = sim.apiCalls('chat.postMessage');
  assert.equal(calls.length, refused);
  assert.equal(calls[0]!.early, undefined, 'the first 429 opened the window');
  assert.ok(calls.slice(1).every((c) => c.status === 429 && c.early === true), 'every retry at once came early');

  // @slack/web-api's own retry sleeps Retry-After (from the 429 it heard) before trying again.
  sim.setRateLimit({ method: 'chat.postMessage', count: 1, retryAfterSeconds: 1 });
  const patient = new WebClient(BOT_TOKEN, { slackApiUrl: sim.apiUrl, retryConfig: { retries: 1, minTimeout: 0, maxTimeout: 0 }, logLevel: LogLevel.ERROR });
  const posted = await patient.chat.postMessage({ channel: 'C0000001', text: 'later' });
  assert.equal(posted.ok, true);
  const [limited, ok] = sim.apiCalls('chat.postMessage').slice(refused);
  assert.deepEqual([limited!.status, limited!.early, ok!.status, ok!.early], [429, undefined, 200, undefined], 'the retry was on time');
  assert.ok(ok!.at - limited!.at >= 1000 - WINDOW_SLACK_MS, 'retried after Retry-After');
});

test('response_url: five uses, then used_too_many_times; unknown and expired URLs are refused', async (t) => {
  const sim = await startSim(t, { responseUrlTtlMs: 60000 });
  const { responseUrl, envelopeId } = await deliveredInteraction(t, sim);
  const post = (url: string, body: unknown, type = 'application/json') =>
    fetch(url, { method: 'POST', headers: { 'content-type': type }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  for (let i = 0; i < 5; i++) {
    const res = await post(responseUrl, { text: `reply ${i}`, response_type: 'ephemeral' });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'ok');
  }
  const sixth = await post(responseUrl, { text: 'one too many' });
  assert.equal(sixth.status, 404);
  assert.equal(await sixth.text(), 'used_too_many_times');
  const unknown = await post(`${sim.baseUrl}/hooks/commands/T0000001/ffff`, { text: 'x' });
  assert.deepEqual([unknown.status, await unknown.text()], [404, 'invalid_url']);
  const bad = await post(responseUrl, '{not json');
  assert.equal(bad.status, 400);

  const calls = sim.responseUrlCalls();
  assert.equal(calls.length, 8);
  assert.deepEqual(calls[0]!.body, { text: 'reply 0', response_type: 'ephemeral' });
  assert.equal(calls[0]!.originEnvelopeId, envelopeId);
  assert.equal(calls[0]!.url, responseUrl);
  assert.deepEqual(calls.map((c) => c.status), [200, 200, 200, 200, 200, 404, 404, 400]);
  assert.equal(calls[5]!.error, 'used_too_many_times');
  assert.equal(sim.stats().responseUrlCalls, 8);
});

test('response_url expires responseUrlTtlMs after delivery', async (t) => {
  const sim = await startSim(t, { responseUrlTtlMs: 30 });
  const { responseUrl } = await deliveredInteraction(t, sim);
  const sentAt = sim.deliveries()[0]!.sentAt!;
  await waitFor(() => performance.timeOrigin + performance.now() > sentAt + 50, { intervalMs: 5 });
  const res = await fetch(responseUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"late"}' });
  assert.deepEqual([res.status, await res.text()], [404, 'expired_url']);
});

test('bad request bodies are answered, counted and survived', async (t) => {
  const sim = await startSim(t);
  const res = await fetch(`${sim.apiUrl}chat.postMessage`, {
    method: 'POST',
    headers: { authorization: `Bearer ${BOT_TOKEN}`, 'content-type': 'application/json' },
    body: '{"channel":',
  });
  assert.deepEqual(await res.json(), { ok: false, error: 'invalid_json' });
  const big = await fetch(`${sim.apiUrl}chat.postMessage`, {
    method: 'POST',
    headers: { authorization: `Bearer ${BOT_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ channel: 'C1', text: 'x'.repeat(2 * 1024 * 1024) }),
  });
  assert.equal(big.status, 413);
  assert.equal(sim.stats().badRequests, 2);
  assert.equal((await api(sim, 'auth.test', { token: BOT_TOKEN })).body!.ok, true);
});
