// respond() outside a job against a local HTTP server: what is sent, how each failure comes back
// (never with the URL in the message), and that one connection carries many answers.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { classifyError } from './classify-error';
import { RespondError } from './errors';
import { createRespond } from './respond';
import { startLocalServer, type LocalServer } from './test-support/local-server';

let server: LocalServer;

before(async () => {
  server = await startLocalServer();
});

after(async () => {
  await server.close();
});

async function rejection(promise: Promise<unknown>): Promise<RespondError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof RespondError, `expected a RespondError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a rejection');
}

test('posts the message as JSON and resolves with the status', async () => {
  const seen: Array<{ method?: string; url?: string; type?: string; body: unknown }> = [];
  server.handle((req, body, res) => {
    seen.push({ method: req.method, url: req.url, type: req.headers['content-type'], body: JSON.parse(body) });
    res.end('ok');
  });
  const respond = createRespond(`${server.origin}/actions/T1/1/secret`);
  assert.deepEqual(await respond({ text: 'héllo', response_type: 'ephemeral' }), { status: 200 });
  assert.deepEqual(await respond('plain'), { status: 200 });
  assert.deepEqual(seen, [
    { method: 'POST', url: '/actions/T1/1/secret', type: 'application/json; charset=utf-8', body: { text: 'héllo', response_type: 'ephemeral' } },
    { method: 'POST', url: '/actions/T1/1/secret', type: 'application/json; charset=utf-8', body: { text: 'plain' } },
  ]);
});

test('answers go over one kept-alive connection', async () => {
  server.handle((_req, _body, res) => res.end('ok'));
  server.sockets.clear();
  const respond = createRespond(`${server.origin}/actions/T1/2/secret`);
  for (let i = 0; i < 5; i++) await respond('again');
  assert.equal(server.sockets.size, 1);
});

test('a kept-alive connection reset after the request arrived: not sent again (it may have been taken), ERR_RESPOND_REQUEST for the job to decide', async () => {
  let n = 0;
  server.handle((req, _body, res) => {
    n += 1;
    // The second request arrives on the first one's kept-alive connection and is read in full,
    // then the connection drops unanswered: a second POST would be a second message.
    if (n === 2) req.socket.destroy();
    else res.end('ok');
  });
  server.sockets.clear();
  const respond = createRespond(`${server.origin}/actions/T1/5/secret`);
  assert.deepEqual(await respond('first'), { status: 200 });
  const err = await rejection(respond('second'));
  assert.equal(err.code, 'ERR_RESPOND_REQUEST');
  assert.equal(err.status, undefined, 'no answer: ambiguous, the job scope keeps it pending');
  assert.equal(n, 2, 'the dropped request was sent once');
});

test('a reset on a fresh connection is not tried again: ERR_RESPOND_REQUEST', async () => {
  // A server of its own: no kept-alive connection to it exists yet.
  let n = 0;
  const dropping = createServer((req) => {
    n += 1;
    req.socket.destroy();
  });
  await new Promise<void>((resolve) => dropping.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(dropping.address() as AddressInfo).port}/actions/T1/6/secret-token`;
    const err = await rejection(createRespond(url)('hi'));
    assert.equal(err.code, 'ERR_RESPOND_REQUEST');
    assert.equal(err.message, 'response_url POST failed: request failed');
    assert.equal(n, 1);
  } finally {
    await new Promise((resolve) => dropping.close(resolve));
  }
});

test('a non-2xx answer rejects with ERR_RESPOND_STATUS, the status and the start of the body, not the URL', async () => {
  server.handle((_req, _body, res) => {
    res.statusCode = 404;
    res.end(`no_such_url ${'x'.repeat(5000)}`);
  });
  const err = await rejection(createRespond(`${server.origin}/actions/T1/3/secret-token`)('hi'));
  assert.equal(err.code, 'ERR_RESPOND_STATUS');
  assert.equal(err.status, 404);
  assert.match(err.message, /^response_url answered HTTP 404: no_such_url x+$/);
  assert.ok(err.message.length < 260);
  assert.doesNotMatch(err.message, /secret-token/);
});

test('no answer within the timeout rejects with ERR_RESPOND_REQUEST', async () => {
  server.handle(() => undefined); // never answers
  const started = Date.now();
  const err = await rejection(createRespond(`${server.origin}/actions/T1/4/secret-token`, { timeoutMs: 150 })('hi'));
  assert.equal(err.code, 'ERR_RESPOND_REQUEST');
  assert.equal(err.message, 'response_url POST failed: no answer within 150 ms');
  assert.equal(err.status, undefined);
  assert.ok(Date.now() - started >= 140);
});

test('an unreachable URL rejects with ERR_RESPOND_REQUEST; a non-URL and a non-HTTP scheme with ERR_RESPOND_BAD_URL (permanent); never with the URL', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  const refused = await rejection(createRespond(`http://127.0.0.1:${port}/secret-token`)('hi'));
  assert.equal(refused.code, 'ERR_RESPOND_REQUEST');
  assert.equal(refused.message, 'response_url POST failed: request failed');
  assert.equal((refused.cause as NodeJS.ErrnoException).code, 'ECONNREFUSED');

  const notUrl = await rejection(createRespond('secret-token')('hi'));
  assert.equal(notUrl.code, 'ERR_RESPOND_BAD_URL');
  assert.doesNotMatch(notUrl.message, /secret-token/);
  assert.equal(classifyError(notUrl), 'permanent');

  const ftp = await rejection(createRespond('ftp://example.com/secret-token')('hi'));
  assert.equal(ftp.code, 'ERR_RESPOND_BAD_URL');
  assert.equal(ftp.message, 'the payload\'s response_url is not http(s) (scheme "ftp:")');
});

test('without a response_url, respond() rejects with ERR_RESPOND_NO_URL', async () => {
  const err = await rejection(createRespond(undefined)('hi'));
  assert.equal(err.code, 'ERR_RESPOND_NO_URL');
});
