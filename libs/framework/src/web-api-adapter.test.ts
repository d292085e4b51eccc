// The Web API clients' transport (web-api-adapter.ts) under a real WebClient against a local HTTP
// server: what reaches the server, that answers, 429s, HTTP errors, timeouts and refused
// connections come back as @slack/web-api reports them, and that non-plain requests go to axios.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { ErrorCode, WebClient, type WebAPIPlatformError, type WebAPIRateLimitedError, type WebAPIRequestError, type WebAPIHTTPError } from '@slack/web-api';
import { AxiosHeaders, type InternalAxiosRequestConfig } from 'axios';
import { createLogger } from '@socketworks/runtime';
import { isPlainCall, webApiAdapter } from './web-api-adapter';
import { startLocalServer, type LocalServer } from './test-support/local-server';
import { WebClients } from './web-clients';

let server: LocalServer;
let base: string;

before(async () => {
  server = await startLocalServer();
  base = `${server.origin}/api/`;
});

after(async () => {
  await server.close();
});

function client(options: { timeout?: number; url?: string } = {}): WebClient {
  return new WebClient('xoxb-test-token', {
    slackApiUrl: options.url ?? base,
    adapter: webApiAdapter,
    timeout: options.timeout ?? 5000,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
  });
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

test('a call reaches the server as WebClient builds it, and its JSON answer comes back parsed', async () => {
  const seen: Array<{ method?: string; url?: string; type?: string; auth?: string; agent?: string; body: string }> = [];
  server.handle((req, body, res) => {
    seen.push({ method: req.method, url: req.url, type: req.headers['content-type'], auth: req.headers.authorization, agent: req.headers['user-agent'], body });
    json(res, 200, { ok: true, channel: 'C1', ts: '1700000000.000100' }, { 'x-oauth-scopes': 'chat:write' });
  });
  const result = await client().chat.postMessage({ channel: 'C1', text: 'héllo & bye', thread_ts: '1.2' });
  assert.equal(result.ok, true);
  assert.equal(result.ts, '1700000000.000100');
  assert.deepEqual(result.response_metadata?.scopes, ['chat:write'], 'answer headers reach WebClient');
  assert.equal(seen.length, 1);
  assert.equal(seen[0]!.method, 'POST');
  assert.equal(seen[0]!.url, '/api/chat.postMessage');
  assert.equal(seen[0]!.type, 'application/x-www-form-urlencoded');
  assert.equal(seen[0]!.auth, 'Bearer xoxb-test-token');
  assert.match(seen[0]!.agent ?? '', /@slack:web-api/);
  assert.deepEqual(Object.fromEntries(new URLSearchParams(seen[0]!.body)), { channel: 'C1', text: 'héllo & bye', thread_ts: '1.2' });
});

test("the job's Web API clients (WebClients) send through this adapter", async () => {
  let encoding: string | undefined = 'unset';
  server.handle((req, _body, res) => {
    encoding = req.headers['accept-encoding'];
    json(res, 200, { ok: true });
  });
  await new WebClients({ slackApiUrl: base, logger: createLogger({ name: 'test', level: 'silent' }) }).get('xoxb-test-token').auth.test();
  // axios' own transport asks for compressed answers; this one does not.
  assert.equal(encoding, undefined);
});

test('calls go over one kept-alive connection', async () => {
  server.handle((_req, _body, res) => json(res, 200, { ok: true }));
  server.sockets.clear();
  const c = client();
  for (let i = 0; i < 5; i += 1) await c.auth.test();
  assert.equal(server.sockets.size, 1);
});

test('ok:false is a platform error; a 429 a rate-limited error with its Retry-After; a 500 an HTTP error', async () => {
  server.handle((_req, _body, res) => json(res, 200, { ok: false, error: 'channel_not_found' }));
  const platform = (await client().chat.postMessage({ channel: 'C404', text: 'x' }).catch((e: unknown) => e)) as WebAPIPlatformError;
  assert.equal(platform.code, ErrorCode.PlatformError);
  assert.equal(platform.data.error, 'channel_not_found');

  server.handle((_req, _body, res) => json(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': '7' }));
  const limited = (await client().chat.postMessage({ channel: 'C1', text: 'x' }).catch((e: unknown) => e)) as WebAPIRateLimitedError;
  assert.equal(limited.code, ErrorCode.RateLimitedError);
  assert.equal(limited.retryAfter, 7);

  server.handle((_req, _body, res) => {
    res.writeHead(500, { 'content-type': 'text/plain' });
    res.end('upstream broke');
  });
  const http = (await client().chat.postMessage({ channel: 'C1', text: 'x' }).catch((e: unknown) => e)) as WebAPIHTTPError;
  assert.equal(http.code, ErrorCode.HTTPError);
  assert.equal(http.statusCode, 500);
});

test('no answer within the timeout, and a refused connection, are request errors carrying the cause', async () => {
  server.handle(() => undefined); // never answers
  const started = Date.now();
  const timedOut = (await client({ timeout: 200 }).auth.test().catch((e: unknown) => e)) as WebAPIRequestError;
  assert.equal(timedOut.code, ErrorCode.RequestError);
  assert.equal((timedOut.original as { code?: string }).code, 'ECONNABORTED');
  assert.match(timedOut.message, /timeout of 200ms exceeded/);
  assert.ok(Date.now() - started < 2000);

  const refused = (await client({ url: 'http://127.0.0.1:1/api/' }).auth.test().catch((e: unknown) => e)) as WebAPIRequestError;
  assert.equal(refused.code, ErrorCode.RequestError);
  assert.equal((refused.original as { code?: string }).code, 'ECONNREFUSED');
});

function config(overrides: Partial<InternalAxiosRequestConfig>): InternalAxiosRequestConfig {
  return { headers: new AxiosHeaders(), method: 'post', url: 'auth.test', baseURL: base, ...overrides };
}

test('a base URL without its trailing slash is joined as axios joins it', async () => {
  let path: string | undefined;
  server.handle((req, _body, res) => {
    path = req.url;
    json(res, 200, { ok: true });
  });
  await webApiAdapter(config({ data: 'a=1', baseURL: `${server.origin}/api` }));
  assert.equal(path, '/api/auth.test');
});

test('only plain calls are sent by the adapter; uploads, binary answers, proxies and TLS options go to axios', async () => {
  assert.equal(isPlainCall(config({ data: 'a=1' })), true);
  assert.equal(isPlainCall(config({ data: undefined, responseType: 'json' })), true);
  assert.equal(isPlainCall(config({ data: Buffer.from('x') })), false);
  assert.equal(isPlainCall(config({ data: new FormData() })), false);
  assert.equal(isPlainCall(config({ data: 'a=1', responseType: 'arraybuffer' })), false);
  assert.equal(isPlainCall(config({ data: 'a=1', proxy: { host: 'proxy', port: 3128 } })), false);
  assert.equal(isPlainCall({ ...config({ data: 'a=1' }), ca: 'PEM' } as InternalAxiosRequestConfig), false);

  // A Buffer body still gets there, through axios' own adapter.
  let body = '';
  server.handle((_req, b, res) => {
    body = b;
    json(res, 200, { ok: true });
  });
  const response = await webApiAdapter(config({ data: Buffer.from('raw=bytes'), headers: new AxiosHeaders({ 'content-type': 'application/octet-stream' }) }));
  assert.equal(response.status, 200);
  assert.equal(body, 'raw=bytes');
});
