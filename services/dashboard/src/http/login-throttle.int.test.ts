// Login throttling through the real HTTP server (in process, real Redis): failures from one
// address lead to 429 with Retry-After, the right password is refused while it lasts, the address
// is let in again once the back-off has passed, and a success starts the count afresh. The
// throttle's clock is the test's, so "after the back-off" needs no sleeping.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { basicAuth, GOOD_AUTH, sample, startTestDashboard, TEST_PASSWORD, TEST_TOKEN, TEST_USER, type TestDashboard } from '../test-support/harness';

const WRONG = basicAuth(TEST_USER, 'wrong-password-123');

/** GET with exactly these headers from a chosen local address (all of 127.0.0.0/8 is loopback). */
function get(port: number, path: string, headers: Record<string, string>, localAddress = '127.0.0.1'): Promise<{ status: number; retryAfter: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { accept: 'application/json', ...headers }, localAddress, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'], body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('login throttling (in process)', () => {
  let t: TestDashboard;
  const clock = { now: 1_000_000 };
  before(async () => {
    t = await startTestDashboard({ name: 'dash-throttle', loginThrottle: { maxFailures: 3, initialBackoffMs: 1000, maxBackoffMs: 8000, now: () => clock.now } });
  });
  after(async () => {
    await t.close();
  });

  test('failures → 429 with Retry-After; the right password is refused while it lasts; let in after the back-off; a success resets', async () => {
    const port = t.dashboard.port;
    // Requests without credentials guess nothing: never counted.
    for (let i = 0; i < 5; i += 1) assert.equal((await get(port, '/api/queues', {})).status, 401);
    for (let i = 0; i < 3; i += 1) assert.equal((await get(port, '/api/queues', { authorization: WRONG })).status, 401, `failure ${i + 1} is a 401`);

    const throttled = await get(port, '/api/queues', { authorization: WRONG });
    assert.equal(throttled.status, 429);
    assert.equal(throttled.retryAfter, '1');
    const refusedRight = await get(port, '/api/queues', { authorization: GOOD_AUTH });
    assert.equal(refusedRight.status, 429, 'the right password is refused while throttled');
    assert.equal(refusedRight.retryAfter, '1');
    const body = JSON.parse(refusedRight.body) as { error: string; message: string };
    assert.equal(body.error, 'ERR_DASHBOARD_LOGIN_THROTTLED');
    assert.match(body.message, /even with the right password/);
    assert.doesNotMatch(refusedRight.body, /events|interactive/);
    assert.equal((await get(port, '/api/queues', { authorization: `Bearer ${TEST_TOKEN}` })).status, 429, 'the right token too');
    assert.equal((await get(port, '/api/queues', { authorization: GOOD_AUTH }, '127.0.0.2')).status, 200, 'another address is not throttled');

    // Back-off passed: one more failure doubles it (2 s).
    clock.now += 1000;
    assert.equal((await get(port, '/api/queues', { authorization: WRONG })).status, 401);
    const doubled = await get(port, '/', { authorization: GOOD_AUTH, accept: 'text/html' });
    assert.equal(doubled.status, 429);
    assert.equal(doubled.retryAfter, '2');
    assert.match(doubled.body, /even with the right password/, 'the HTML page says why');
    clock.now += 1999;
    assert.equal((await get(port, '/api/queues', { authorization: GOOD_AUTH })).status, 429, 'not a millisecond early');
    clock.now += 1;
    assert.equal((await get(port, '/api/queues', { authorization: GOOD_AUTH })).status, 200, 'let in once the back-off has passed');

    // The success reset the address: it gets its full allowance of failures again.
    for (let i = 0; i < 2; i += 1) assert.equal((await get(port, '/api/queues', { authorization: WRONG })).status, 401);
    assert.equal((await get(port, '/api/queues', { authorization: GOOD_AUTH })).status, 200);
    for (let i = 0; i < 3; i += 1) assert.equal((await get(port, '/api/queues', { authorization: WRONG })).status, 401);
    assert.equal((await get(port, '/api/queues', { authorization: WRONG })).status, 429);

    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    assert.equal(sample(metrics, 'socketworks_dashboard_refusals_total', { reason: 'throttled' }), 6);
    assert.equal(sample(metrics, 'socketworks_dashboard_auth_failures_total', { scheme: 'basic' }), 9);
    const lines = t.logs.lines.filter((l) => l.msg === 'login throttled: too many failed logins from this address');
    assert.ok(lines.length >= 1, 'throttling is logged');
    assert.ok(lines.length <= 2, 'and rate-limited');
    assert.equal(lines[0]!.remote_address, '127.0.0.1');
    const all = t.logs.raw.join('\n');
    for (const secret of [TEST_PASSWORD, TEST_TOKEN, 'wrong-password-123', WRONG.slice(6), GOOD_AUTH.slice(6)]) assert.ok(!all.includes(secret), 'no credential is logged');
  });
});
