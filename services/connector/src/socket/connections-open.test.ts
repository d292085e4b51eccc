// apps.connections.open error classification against a tiny local HTTP server that answers the
// way Slack does (status, JSON body, Retry-After).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort } from '@socketworks/testing';
import { SlackAuthFatalError, SlackConnectionsOpenError } from '../errors';
import { MAX_RETRY_AFTER_MS, openConnectionUrl, parseRetryAfter } from './connections-open';

const TOKEN = 'xapp-1-A0000001-0000000001-openopenopenopen';

interface Reply {
  status?: number;
  body?: string;
  headers?: Record<string, string>;
  /** Never answer (timeout test). */
  hang?: boolean;
}

let server: Server;
let apiUrl: string;
let reply: Reply = {};
let seen: { method?: string; url?: string; authorization?: string; body: string }[] = [];

before(async () => {
  server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ method: req.method, url: req.url, authorization: req.headers.authorization, body });
      if (reply.hang) return;
      res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
      res.end(reply.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function openWith(r: Reply, timeoutMs = 2000): Promise<unknown> {
  reply = r;
  seen = [];
  try {
    return await openConnectionUrl({ apiUrl, appToken: TOKEN, timeoutMs });
  } catch (err) {
    return err;
  }
}

test('success: POST with the token as a Bearer header only, returns the wss URL', async () => {
  const url = await openWith({ body: JSON.stringify({ ok: true, url: 'wss://wss-primary.slack.com/link/?ticket=abc&app_id=A1' }) });
  assert.equal(url, 'wss://wss-primary.slack.com/link/?ticket=abc&app_id=A1');
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.method, 'POST');
  assert.equal(seen[0]!.url, '/api/apps.connections.open');
  assert.equal(seen[0]!.authorization, `Bearer ${TOKEN}`);
  assert.ok(!seen[0]!.body.includes(TOKEN), 'the token is not in the body');
});

for (const error of ['invalid_auth', 'not_authed', 'account_inactive', 'forbidden_team', 'missing_scope', 'token_revoked']) {
  test(`${error} is fatal (ERR_SLACK_AUTH_FATAL) with an operator message that never quotes the token`, async () => {
    const err = await openWith({ body: JSON.stringify({ ok: false, error }) });
    assert.ok(err instanceof SlackAuthFatalError, String(err));
    assert.equal(err.code, 'ERR_SLACK_AUTH_FATAL');
    assert.equal(err.slackError, error);
    assert.match(err.message, new RegExp(`SLACK_APP_TOKEN \\(${error}\\)`));
    assert.ok(!err.message.includes(TOKEN));
  });
}

test('ratelimited (HTTP 429) is retryable and carries Retry-After', async () => {
  const err = await openWith({ status: 429, headers: { 'retry-after': '7' }, body: JSON.stringify({ ok: false, error: 'ratelimited' }) });
  assert.ok(err instanceof SlackConnectionsOpenError, String(err));
  assert.equal(err.code, 'ERR_SLACK_CONNECTIONS_OPEN');
  assert.equal(err.slackError, 'ratelimited');
  assert.equal(err.retryAfterMs, 7000);
});

test('internal_error and a 503 without JSON are retryable', async () => {
  const internal = await openWith({ body: JSON.stringify({ ok: false, error: 'internal_error' }) });
  assert.ok(internal instanceof SlackConnectionsOpenError);
  assert.equal(internal.slackError, 'internal_error');
  const unavailable = await openWith({ status: 503, headers: { 'content-type': 'text/html' }, body: '<html>down</html>' });
  assert.ok(unavailable instanceof SlackConnectionsOpenError);
  assert.equal(unavailable.slackError, 'http_503');
});

test('ok without a ws(s) URL is a bad response, retryable', async () => {
  const err = await openWith({ body: JSON.stringify({ ok: true, url: 'https://example.com/' }) });
  assert.ok(err instanceof SlackConnectionsOpenError);
  assert.equal(err.slackError, 'bad_response');
});

test('no answer within the timeout, and a refused connection, are retryable', async () => {
  const started = Date.now();
  const timeout = await openWith({ hang: true }, 200);
  assert.ok(timeout instanceof SlackConnectionsOpenError);
  assert.equal(timeout.slackError, 'timeout');
  assert.ok(Date.now() - started < 2000);
  const port = await freePort();
  let refused: unknown;
  try {
    await openConnectionUrl({ apiUrl: `http://127.0.0.1:${port}/api/`, appToken: TOKEN, timeoutMs: 2000 });
  } catch (err) {
    refused = err;
  }
  assert.ok(refused instanceof SlackConnectionsOpenError);
  assert.equal(refused.slackError, 'network');
});

test('an abort from the caller ends the call at once', async () => {
  reply = { hang: true };
  const controller = new AbortController();
  const pending = openConnectionUrl({ apiUrl, appToken: TOKEN, timeoutMs: 10000, signal: controller.signal });
  setTimeout(() => controller.abort(), 20);
  await assert.rejects(pending, (err: unknown) => err instanceof SlackConnectionsOpenError && err.slackError === 'aborted');
});

test('Retry-After parsing: seconds, HTTP date, junk', () => {
  assert.equal(parseRetryAfter('30'), 30000);
  assert.equal(parseRetryAfter(null), undefined);
  assert.equal(parseRetryAfter('soon'), undefined);
  const inTwo = parseRetryAfter(new Date(Date.now() + 2000).toUTCString())!;
  assert.ok(inTwo > 0 && inTwo <= 2000);
});

test('Retry-After is capped at an hour, in seconds and as a date', () => {
  assert.equal(parseRetryAfter('3600'), MAX_RETRY_AFTER_MS);
  assert.equal(parseRetryAfter('99999999999'), MAX_RETRY_AFTER_MS);
  assert.equal(parseRetryAfter(new Date(Date.now() + 30 * 24 * 3600 * 1000).toUTCString()), MAX_RETRY_AFTER_MS);
});
