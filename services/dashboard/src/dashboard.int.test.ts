// The dashboard in this process against the real test Redis: authentication, bull-board, search,
// redaction, retry, read-only mode, metrics and health. Jobs are put in their states by real
// BullMQ producers and workers of the test's own.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startPrivateRedis, waitFor } from '@socketworks/testing';
import { envelopeJobIdOf, eventJobIdOf } from '@socketworks/protocol';
import {
  basicAuth,
  commandJobData,
  eventJobData,
  failJobs,
  GOOD_AUTH,
  sample,
  startTestDashboard,
  TEST_PASSWORD,
  TEST_TOKEN,
  TEST_USER,
  type TestDashboard,
} from './test-support/harness';
import type { JobView } from './jobs/job-view';

/** One request with exactly these headers (fetch does not let a test set Host). */
function rawRequest(port: number, method: string, path: string, headers: Record<string, string>): Promise<[number, string]> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, setHost: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve([res.statusCode ?? 0, body]));
    });
    req.on('error', reject);
    req.end();
  });
}

interface SearchAnswer {
  query: { kind: string; value: string };
  jobs: JobView[];
}

describe('dashboard (in process)', () => {
  let t: TestDashboard;
  before(async () => {
    // The 401 test below fails 20 logins from one address: throttling (its own test,
    // http/login-throttle.int.test.ts) is kept out of its way.
    t = await startTestDashboard({ name: 'dash', env: { DASHBOARD_METRICS_CACHE_MS: '0' }, loginThrottle: { maxFailures: 1000 } });
  });
  after(async () => {
    await t.close();
  });

  test('logs the bound port and url at start', () => {
    const line = t.logs.lines.find((l) => l.msg === 'dashboard listening');
    assert.ok(line, 'a "dashboard listening" line');
    assert.equal(line.port, t.dashboard.port);
    assert.notEqual(line.port, 0);
    assert.equal(line.url, `http://127.0.0.1:${t.dashboard.port}/`);
    assert.ok(t.logs.lines.some((l) => l.msg === 'redis checked'), 'Redis was checked at start');
  });

  test('missing or wrong credentials get 401 with a Basic challenge and are counted; no secret is logged', async () => {
    for (const authorization of ['', basicAuth(TEST_USER, 'wrong-password-123'), basicAuth('intruder', TEST_PASSWORD), 'Bearer not-the-token-at-all', 'Digest abc']) {
      for (const path of ['/', '/jobs?q=x', '/queues', '/queues/api/queues', '/api/queues']) {
        const res = await t.fetch(path, { headers: { authorization } });
        assert.equal(res.status, 401, `${path} with "${authorization.slice(0, 12)}"`);
        assert.match(res.headers.get('www-authenticate') ?? '', /Basic realm="Socketworks"/);
        assert.doesNotMatch(await res.text(), /events|interactive/);
      }
    }
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    assert.equal(sample(metrics, 'socketworks_dashboard_auth_failures_total', { scheme: 'none' }), 5);
    assert.equal(sample(metrics, 'socketworks_dashboard_auth_failures_total', { scheme: 'basic' }), 10);
    assert.equal(sample(metrics, 'socketworks_dashboard_auth_failures_total', { scheme: 'bearer' }), 5);
    assert.equal(sample(metrics, 'socketworks_dashboard_auth_failures_total', { scheme: 'other' }), 5);
    const failures = t.logs.lines.filter((l) => l.msg === 'authentication failed');
    assert.ok(failures.length >= 1, 'failed logins are logged (throttled)');
    const all = t.logs.raw.join('\n');
    for (const secret of [TEST_PASSWORD, TEST_TOKEN, 'wrong-password-123', 'not-the-token-at-all']) assert.ok(!all.includes(secret), `${secret} never logged`);
  });

  test('right credentials (Basic or bearer) open bull-board, its API, our pages and our API', async () => {
    const board = await t.fetch('/queues');
    assert.equal(board.status, 200);
    const html = await board.text();
    assert.match(html, /<title>Socketworks<\/title>/);
    assert.match(html, /<base href="\/queues\/"/);

    const api = (await (await t.fetch('/queues/api/queues')).json()) as { queues: Array<{ name: string; readOnlyMode: boolean }> };
    assert.deepEqual(api.queues.map((q) => q.name).sort(), ['commands', 'events', 'interactive', 'sync']);
    assert.ok(api.queues.every((q) => q.readOnlyMode === false));

    const bearer = await t.fetch('/api/queues', { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    assert.equal(bearer.status, 200);
    const counts = (await bearer.json()) as { queues: Record<string, { waiting: number }> };
    assert.deepEqual(Object.keys(counts.queues).sort(), ['commands', 'events', 'interactive', 'sync']);

    const overview = await t.fetch('/');
    assert.equal(overview.status, 200);
    assert.match(overview.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    assert.equal(overview.headers.get('x-frame-options'), 'DENY');
    assert.match(await overview.text(), /Signed in as user:operator/);
  });

  test('finds a job by event_id, by envelope_id (direct and by scanning events) and by job id', async () => {
    await t.queues.events.add('events_api', eventJobData({ eventId: 'EvFIND0001', envelopeId: 'env-uuid-find-0001' }), { jobId: 'ev-EvFIND0001' });
    await t.queues.commands.add('slash_commands', commandJobData('env-uuid-find-0002'), { jobId: 'env-env-uuid-find-0002' });
    // Older jobs in front of the one searched by envelope_id, so the scan has to page.
    for (let i = 0; i < 150; i += 1) {
      await t.queues.events.add('events_api', eventJobData({ eventId: `EvFILL${i}`, envelopeId: `env-fill-${i}` }), { jobId: `ev-EvFILL${i}` });
    }

    const byEvent = (await (await t.fetch('/api/jobs?event_id=EvFIND0001')).json()) as SearchAnswer;
    assert.deepEqual(byEvent.jobs.map((j) => [j.queue, j.id, j.state]), [['events', 'ev-EvFIND0001', 'waiting']]);
    assert.equal(byEvent.jobs[0]!.envelope_id, 'env-uuid-find-0001');
    assert.equal(byEvent.jobs[0]!.event_id, 'EvFIND0001');

    const byEnvelope = (await (await t.fetch('/api/jobs?envelope_id=env-uuid-find-0001')).json()) as SearchAnswer;
    assert.deepEqual(byEnvelope.jobs.map((j) => j.id), ['ev-EvFIND0001'], 'an event found by its envelope_id');

    const command = (await (await t.fetch('/api/jobs?envelope_id=env-uuid-find-0002')).json()) as SearchAnswer;
    assert.deepEqual(command.jobs.map((j) => [j.queue, j.id]), [['commands', 'env-env-uuid-find-0002']]);

    const byJobId = (await (await t.fetch('/api/jobs?job_id=ev-EvFIND0001')).json()) as SearchAnswer;
    assert.deepEqual(byJobId.jobs.map((j) => j.id), ['ev-EvFIND0001']);

    const any = (await (await t.fetch('/api/jobs?q=EvFIND0001')).json()) as SearchAnswer;
    assert.deepEqual(any.jobs.map((j) => j.id), ['ev-EvFIND0001']);

    const one = await t.fetch('/api/queues/commands/jobs/env-env-uuid-find-0002');
    assert.equal(one.status, 200);
    assert.equal(((await one.json()) as JobView).type, 'slash_commands');

    // Ids with ':' are stored as the connector writes them (encodeJobIdPart: ':' → %3A) and found by
    // the id Slack sent, by the stored job id and through the single-job route.
    await t.queues.events.add('events_api', eventJobData({ eventId: 'Ev:COLON1', envelopeId: 'env:colon-1' }), { jobId: eventJobIdOf('Ev:COLON1') });
    await t.queues.commands.add('slash_commands', commandJobData('env:colon-2'), { jobId: envelopeJobIdOf('env:colon-2') });
    const colonEvent = (await (await t.fetch(`/api/jobs?event_id=${encodeURIComponent('Ev:COLON1')}`)).json()) as SearchAnswer;
    assert.deepEqual(colonEvent.jobs.map((j) => [j.id, j.event_id]), [['ev-Ev%3ACOLON1', 'Ev:COLON1']]);
    const colonEnvelope = (await (await t.fetch(`/api/jobs?envelope_id=${encodeURIComponent('env:colon-2')}`)).json()) as SearchAnswer;
    assert.deepEqual(colonEnvelope.jobs.map((j) => j.id), ['env-env%3Acolon-2']);
    const colonJobId = (await (await t.fetch(`/api/jobs?job_id=${encodeURIComponent('ev-Ev%3ACOLON1')}`)).json()) as SearchAnswer;
    assert.deepEqual(colonJobId.jobs.map((j) => j.id), ['ev-Ev%3ACOLON1']);
    assert.equal((await t.fetch(`/api/queues/events/jobs/${encodeURIComponent('ev-Ev%3ACOLON1')}`)).status, 200);

    const none = (await (await t.fetch('/api/jobs?event_id=EvNOPE')).json()) as SearchAnswer;
    assert.deepEqual(none.jobs, []);

    const page = await (await t.fetch('/jobs?kind=envelope_id&q=env-uuid-find-0001')).text();
    assert.match(page, /1 job\(s\) found/);
    assert.match(page, /data-job-id="ev-EvFIND0001"/);

    assert.equal((await t.fetch('/api/jobs')).status, 400);
    assert.equal((await t.fetch('/api/jobs?event_id=a&job_id=b')).status, 400);
    assert.equal((await t.fetch('/api/jobs?q=%3Cscript%3E')).status, 400);
    assert.equal((await t.fetch('/api/queues/nope/jobs/x')).status, 404);
    assert.equal((await t.fetch('/api/queues/events/jobs/ev-missing')).status, 404);
    await t.queues.events.drain();
  });

  test('a payload with secrets shows none of them: our API, our page, bull-board', async () => {
    const secrets = ['VERIFICATIONtoken0001', 'xoxb-1111-2222-SECRETSECRET', 'Bearer-credential-4242', 'xapp-1-A1-2-APPSECRET'];
    await t.queues.events.add(
      'events_api',
      eventJobData({
        eventId: 'EvSECRET01',
        envelopeId: 'env-secret-01',
        text: 'here is my token xoxb-1111-2222-SECRETSECRET',
        payload: { token: 'VERIFICATIONtoken0001', authorization: 'Bearer Bearer-credential-4242' },
      }),
      { jobId: 'ev-EvSECRET01', attempts: 1 },
    );
    await failJobs(t, 'events', 1, () => 'chat.postMessage failed: invalid_auth for xapp-1-A1-2-APPSECRET');

    const api = await (await t.fetch('/api/jobs?event_id=EvSECRET01')).text();
    const page = await (await t.fetch('/jobs?kind=event_id&q=EvSECRET01')).text();
    const boardJob = await (await t.fetch('/queues/api/queues/events/ev-EvSECRET01')).text();
    const boardList = await (await t.fetch('/queues/api/queues?activeQueue=events&status=failed&page=1&jobsPerPage=10')).text();
    for (const [where, body] of Object.entries({ api, page, boardJob, boardList })) {
      assert.match(body, /EvSECRET01/, `${where} shows the job`);
      assert.match(body, /\[redacted\]/, `${where} says what it removed`);
      for (const secret of secrets) assert.ok(!body.includes(secret), `${where} shows no ${secret}`);
    }
    const view = ((JSON.parse(api) as SearchAnswer).jobs)[0]!;
    assert.equal(view.state, 'failed');
    assert.equal(view.failedReason, 'chat.postMessage failed: invalid_auth for [redacted]');
    assert.ok(view.stacktrace.length >= 1 && !view.stacktrace.join('').includes('APPSECRET'));
    assert.match(page, /Retry this job/);
  });

  test('retry one moves a failed job back to waiting with its attempts reset; retry all moves the rest', async () => {
    await t.queues.commands.obliterate({ force: true });
    for (let i = 0; i < 3; i += 1) {
      await t.queues.commands.add('slash_commands', commandJobData(`env-retry-${i}`), { jobId: `env-env-retry-${i}`, attempts: 1 });
    }
    await failJobs(t, 'commands', 3, (job) => `boom ${String(job.id)}`);

    const one = await t.fetch('/api/queues/commands/jobs/env-env-retry-0/retry', { method: 'POST' });
    assert.equal(one.status, 200);
    const answer = (await one.json()) as { retried: boolean; job: JobView };
    assert.equal(answer.retried, true);
    assert.equal(answer.job.state, 'waiting');
    assert.equal(answer.job.attemptsMade, 0);
    assert.equal(answer.job.failedReason, null);
    assert.ok(t.logs.lines.some((l) => l.msg === 'job retried' && l.job_id === 'env-env-retry-0' && l.actor === 'user:operator'), 'audit line');

    const again = await t.fetch('/api/queues/commands/jobs/env-env-retry-0/retry', { method: 'POST' });
    assert.equal(again.status, 409);
    assert.equal(((await again.json()) as { error: string }).error, 'ERR_DASHBOARD_JOB_NOT_FAILED');
    assert.equal((await t.fetch('/api/queues/commands/jobs/env-missing/retry', { method: 'POST' })).status, 404);

    const all = await t.fetch('/api/queues/commands/retry-failed', { method: 'POST', headers: { authorization: `Bearer ${TEST_TOKEN}` } });
    assert.equal(all.status, 200);
    assert.deepEqual(await all.json(), { queue: 'commands', retried: 2, skipped: 0, remaining: 0 });
    assert.equal(await t.queues.commands.getJobCountByTypes('failed'), 0);
    assert.equal(await t.queues.commands.getJobCountByTypes('waiting'), 3);
    for (let i = 0; i < 3; i += 1) assert.equal(await t.queues.commands.getJobState(`env-env-retry-${i}`), 'waiting');

    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    assert.equal(sample(metrics, 'socketworks_dashboard_retries_total', { queue: 'commands', kind: 'one' }), 1);
    assert.equal(sample(metrics, 'socketworks_dashboard_retries_total', { queue: 'commands', kind: 'all' }), 2);
    await t.queues.commands.obliterate({ force: true });
  });

  test('the retry forms answer 303 back to the page, and refuse a post from another site', async () => {
    await t.queues.sync.add('block_suggestion', commandJobData('env-form-0'), { jobId: 'env-env-form-0', attempts: 1 });
    await t.queues.sync.add('block_suggestion', commandJobData('env-form-1'), { jobId: 'env-env-form-1', attempts: 1 });
    await failJobs(t, 'sync', 2);

    const crossSite = await t.fetch('/jobs/sync/env-env-form-0/retry', { method: 'POST', headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' } });
    assert.equal(crossSite.status, 403);
    const otherOrigin = await t.fetch('/jobs/sync/env-env-form-0/retry', { method: 'POST', headers: { origin: 'http://127.0.0.1:1' } });
    assert.equal(otherOrigin.status, 403);
    const opaque = await t.fetch('/jobs/sync/env-env-form-0/retry', { method: 'POST', headers: { origin: 'null' } });
    assert.equal(opaque.status, 403);
    assert.equal(await t.queues.sync.getJobState('env-env-form-0'), 'failed');

    const form = await t.fetch('/jobs/sync/env-env-form-0/retry', { method: 'POST', headers: { origin: t.url, 'sec-fetch-site': 'same-origin' } });
    assert.equal(form.status, 303);
    assert.equal(form.headers.get('location'), '/jobs?kind=job_id&q=env-env-form-0&notice=retried');
    assert.equal(await t.queues.sync.getJobState('env-env-form-0'), 'waiting');
    assert.match(await (await t.fetch(form.headers.get('location')!)).text(), /moved back to waiting/);

    const overview = await (await t.fetch('/')).text();
    assert.match(overview, /Retry all 1 failed in sync/);
    const all = await t.fetch('/retry-failed/sync', { method: 'POST', headers: { origin: t.url } });
    assert.equal(all.status, 303);
    assert.equal(all.headers.get('location'), '/?notice=retried-all&count=1');
    assert.equal(await t.queues.sync.getJobState('env-env-form-1'), 'waiting');
    await t.queues.sync.obliterate({ force: true });
  });

  test("bull-board's retry goes through our FailedJobs (attempts reset), and routes that forge, re-run or drop Slack work are refused", async () => {
    await t.queues.interactive.add('interactive', commandJobData('env-board-0'), { jobId: 'env-env-board-0', attempts: 1 });
    await failJobs(t, 'interactive', 1);
    const retry = await t.fetch('/queues/api/queues/interactive/env-env-board-0/retry', { method: 'PUT' });
    assert.equal(retry.status, 204);
    const retried = (await t.queues.interactive.getJob('env-env-board-0'))!;
    assert.equal(await retried.getState(), 'waiting');
    assert.equal(retried.attemptsMade, 0, 'attempts back, as the README promises');
    assert.ok(t.logs.lines.some((l) => l.msg === 'bull-board action' && l.status === 204 && l.actor === 'user:operator'));
    assert.ok(t.logs.lines.some((l) => l.msg === 'job retried' && l.job_id === 'env-env-board-0' && l.actor === 'user:operator'));

    const refused: Array<[string, RequestInit, number]> = [
      ['/queues/api/queues/interactive/add', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'forged', data: { type: 'interactive' }, options: {} }) }, 403],
      ['/queues/api/queues/interactive/env-env-board-0/update-data', { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ data: { forged: true } }) }, 403],
      ['/queues/api/queues/interactive/empty', { method: 'PUT' }, 403],
      ['/queues/api/queues/interactive/obliterate', { method: 'PUT' }, 403],
      ['/queues/api/queues/interactive/clean/wait', { method: 'PUT' }, 403],
      ['/queues/api/queues/interactive/env-env-board-0/clean', { method: 'PUT' }, 409],
      ['/queues/api/queues/interactive/retry/completed', { method: 'PUT' }, 403],
    ];
    for (const [path, init, status] of refused) {
      const res = await t.fetch(path, init);
      assert.equal(res.status, status, `${init.method} ${path}`);
      assert.match(await res.text(), /refused by Socketworks/, path);
    }
    assert.equal(await t.queues.interactive.count(), 1, 'nothing was added or removed');
    assert.equal(await t.queues.interactive.getJobState('env-env-board-0'), 'waiting');
    assert.equal((await t.queues.interactive.getJob('env-env-board-0'))!.data.envelope_id, 'env-board-0', 'data not edited');
    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    assert.equal(sample(metrics, 'socketworks_dashboard_refusals_total', { reason: 'route' }), 4);
    assert.equal(sample(metrics, 'socketworks_dashboard_refusals_total', { reason: 'state' }), 3);
    await t.queues.interactive.obliterate({ force: true });
  });

  test('a malformed %-escape answers 400 and a form or body over the limit 413, with a code, counted and not logged as an internal error', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded', origin: t.url };
    const cases: Array<[string, RequestInit, number, string]> = [
      ['/api/queues/%E0%A4%A/jobs/x', {}, 400, 'ERR_DASHBOARD_BAD_REQUEST'],
      ['/api/queues/events/jobs/%zz', {}, 400, 'ERR_DASHBOARD_BAD_REQUEST'],
      ['/jobs/events/%E0%A4%A/retry', { method: 'POST', headers: { origin: t.url } }, 400, 'ERR_DASHBOARD_BAD_REQUEST'],
      ['/retry-failed/events', { method: 'POST', headers: form, body: `x=${'a'.repeat(10000)}` }, 413, 'ERR_DASHBOARD_BODY_TOO_LARGE'],
      ['/jobs/events/ev-x/retry', { method: 'POST', headers: form, body: `x=${'a'.repeat(10000)}` }, 413, 'ERR_DASHBOARD_BODY_TOO_LARGE'],
    ];
    for (const [path, init, status, code] of cases) {
      const res = await t.fetch(path, init);
      assert.equal(res.status, status, path);
      assert.deepEqual(((await res.json()) as { error: string }).error, code, path);
    }
    const page = await t.fetch('/queues/queue/%E0%A4%A', { headers: { accept: 'text/html' } });
    assert.equal(page.status, 400);
    assert.match(await page.text(), /a malformed %-escape in its path or query/);
    // bull-board's own API: its error shape, our code.
    const query = await t.fetch('/queues/api/queues?activeQueue=%E0%A4%A');
    assert.equal(query.status, 400);
    assert.equal(((await query.json()) as { code: string }).code, 'ERR_DASHBOARD_BAD_REQUEST');
    const json = await t.fetch('/queues/api/queues/events/pause', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ x: 'a'.repeat(200000) }) });
    assert.equal(json.status, 413);
    assert.equal(((await json.json()) as { code: string }).code, 'ERR_DASHBOARD_BODY_TOO_LARGE');
    assert.equal(await t.queues.events.isPaused(), false);

    const metrics = await (await fetch(`${t.url}/metrics`)).text();
    assert.equal(sample(metrics, 'socketworks_dashboard_bad_requests_total', { reason: 'bad_request' }), 5);
    assert.equal(sample(metrics, 'socketworks_dashboard_bad_requests_total', { reason: 'body_too_large' }), 3);
    assert.ok(!t.logs.lines.some((l) => l.level === 'error'), 'no internal error logged');
  });

  test('a job whose stored data or opts is not JSON is shown as unreadable, never its bytes, and every list still works', async () => {
    await t.queues.events.obliterate({ force: true });
    for (const id of ['EvREAD1', 'EvBADDATA', 'EvBADOPTS']) {
      await t.queues.events.add('events_api', eventJobData({ eventId: id, envelopeId: `env-${id}` }), { jobId: `ev-${id}`, attempts: 1 });
    }
    await failJobs(t, 'events', 3);
    const redis = await t.queues.events.client;
    // JSON.parse's error would quote these bytes.
    await redis.hset(t.queues.events.toKey('ev-EvBADDATA'), { data: 'RAWBYTES{not json xoxb-1-2-RAWSECRET' });
    await redis.hset(t.queues.events.toKey('ev-EvBADOPTS'), { opts: 'RAWOPTS{"attempts": 1' });

    const bodies: Record<string, string> = {};
    const get = async (path: string) => {
      const res = await t.fetch(path);
      bodies[path] = await res.text();
      assert.equal(res.status, 200, path);
      return bodies[path]!;
    };
    const byId = JSON.parse(await get('/api/jobs?job_id=ev-EvBADDATA')) as SearchAnswer;
    assert.deepEqual(byId.jobs.map((j) => [j.queue, j.id, j.state, j.unreadable]), [['events', 'ev-EvBADDATA', 'failed', true]]);
    assert.match(byId.jobs[0]!.error!, /stored data is not JSON/);
    assert.deepEqual(byId.jobs[0]!.data, { unreadable: true, error: byId.jobs[0]!.error });
    const opts = JSON.parse(await get('/api/queues/events/jobs/ev-EvBADOPTS')) as JobView;
    assert.equal(opts.unreadable, true);
    assert.match(opts.error!, /stored opts is not JSON/);
    assert.equal(opts.envelope_id, 'env-EvBADOPTS', 'its data is still shown');
    const page = await get('/jobs?kind=job_id&q=ev-EvBADDATA');
    assert.match(page, /This job cannot be read: its stored data is not JSON/);
    assert.doesNotMatch(page, /Retry this job/);
    // The scan for an envelope_id reads past them.
    assert.deepEqual((JSON.parse(await get('/api/jobs?envelope_id=env-EvREAD1')) as SearchAnswer).jobs.map((j) => j.id), ['ev-EvREAD1']);
    const board = JSON.parse(await get('/queues/api/queues?activeQueue=events&status=failed&page=1&jobsPerPage=10')) as { queues: Array<{ name: string; jobs: Array<{ id: string }> }> };
    assert.deepEqual(board.queues.find((q) => q.name === 'events')!.jobs.map((j) => j.id).sort(), ['ev-EvBADDATA', 'ev-EvBADOPTS', 'ev-EvREAD1']);
    assert.match(await get('/queues/api/queues/events/ev-EvBADDATA'), /stored data is not JSON/);
    for (const [path, body] of Object.entries(bodies)) assert.doesNotMatch(body, /RAW/, `${path} shows none of the stored bytes`);

    const retry = await t.fetch('/api/queues/events/jobs/ev-EvBADDATA/retry', { method: 'POST' });
    assert.equal(retry.status, 409);
    assert.equal(((await retry.json()) as { error: string }).error, 'ERR_DASHBOARD_JOB_UNREADABLE');
    assert.deepEqual(await (await t.fetch('/api/queues/events/retry-failed', { method: 'POST' })).json(), { queue: 'events', retried: 1, skipped: 2, remaining: 2 });
    assert.equal((await t.fetch('/queues/api/queues/events/ev-EvBADOPTS/clean', { method: 'PUT' })).status, 204, 'an unreadable failed job can be removed');
    assert.ok(!t.logs.raw.some((line) => line.includes('RAW')), 'no stored bytes logged');
    await t.queues.events.obliterate({ force: true });
  });

  test('two concurrent "retry all failed" retry every failed job exactly once', async () => {
    const count = 300;
    await t.queues.sync.obliterate({ force: true });
    await t.queues.sync.addBulk(Array.from({ length: count }, (_, i) => ({ name: 'block_suggestion', data: commandJobData(`env-many-${i}`), opts: { jobId: `env-env-many-${i}`, attempts: 1 } })));
    await failJobs(t, 'sync', count);

    const answers = await Promise.all([0, 1].map(async () => (await t.fetch('/api/queues/sync/retry-failed', { method: 'POST' })).json() as Promise<{ retried: number; remaining: number }>));
    assert.equal(answers[0]!.retried + answers[1]!.retried, count, JSON.stringify(answers));
    assert.deepEqual(await t.queues.sync.getJobCounts('failed', 'waiting'), { failed: 0, waiting: count, paused: 0 });
    await t.queues.sync.obliterate({ force: true });
  });

  test('no response announces Express (X-Powered-By), bull-board\'s included', async () => {
    for (const path of ['/', '/api/queues', '/queues', '/queues/api/queues', '/queues/static/favicon-32x32.png', '/nothing-here']) {
      const res = await t.fetch(path);
      await res.arrayBuffer();
      assert.ok(res.status < 500, path);
      assert.equal(res.headers.get('x-powered-by'), null, path);
    }
  });

  test('queue metrics reflect real counts, and a scrape storm reads Redis once per cache interval', async () => {
    const cached = await startTestDashboard({ name: 'dash-metrics', env: { DASHBOARD_METRICS_CACHE_MS: '60000' } });
    try {
      for (let i = 0; i < 3; i += 1) await cached.queues.interactive.add('interactive', commandJobData(`m-${i}`), { jobId: `env-m-${i}` });
      for (let i = 0; i < 2; i += 1) await cached.queues.commands.add('slash_commands', commandJobData(`f-${i}`), { jobId: `env-f-${i}`, attempts: 1 });
      await cached.queues.events.add('events_api', eventJobData({ eventId: 'EvDELAY', envelopeId: 'e-d' }), { jobId: 'ev-EvDELAY', delay: 60000 });
      await failJobs(cached, 'commands', 2);
      // The oldest waiting job is at least this old when scraped.
      await new Promise((resolve) => setTimeout(resolve, 50));

      const readsBefore = cached.dashboard.stats.reads;
      const scrapes = await Promise.all(Array.from({ length: 20 }, () => fetch(`${cached.url}/metrics`).then((r) => r.text())));
      const text = scrapes[0]!;
      assert.equal(cached.dashboard.stats.reads - readsBefore, 1, '20 concurrent scrapes, one reading');
      for (const other of scrapes) assert.equal(sample(other, 'socketworks_queue_waiting', { queue: 'interactive' }), 3);
      assert.equal(sample(text, 'socketworks_queue_waiting', { queue: 'interactive' }), 3);
      assert.equal(sample(text, 'socketworks_queue_waiting', { queue: 'commands' }), 0);
      assert.equal(sample(text, 'socketworks_queue_failed', { queue: 'commands' }), 2);
      assert.equal(sample(text, 'socketworks_queue_failed', { queue: 'interactive' }), 0);
      assert.equal(sample(text, 'socketworks_queue_delayed', { queue: 'events' }), 1);
      assert.equal(sample(text, 'socketworks_queue_active', { queue: 'events' }), 0);
      assert.equal(sample(text, 'socketworks_queue_completed', { queue: 'sync' }), 0);
      const age = sample(text, 'socketworks_queue_oldest_waiting_age_seconds', { queue: 'interactive' })!;
      assert.ok(age >= 0.05 && age < 30, `oldest waiting age ${age}`);
      assert.equal(sample(text, 'socketworks_queue_oldest_waiting_age_seconds', { queue: 'sync' }), 0);
      assert.equal(sample(text, 'socketworks_dashboard_redis_up'), 1);

      const policy = ((await cached.dashboard.queues.events.client.then((c) => (c as unknown as { config(...a: string[]): Promise<string[]> }).config('GET', 'maxmemory-policy')))[1]);
      assert.equal(sample(text, 'socketworks_redis_maxmemory_policy_noeviction', { maxmemory_policy: policy! }), policy === 'noeviction' ? 1 : 0);

      // Cached: a new job is not seen until the interval passes.
      await cached.queues.interactive.add('interactive', commandJobData('m-late'), { jobId: 'env-m-late' });
      const later = await (await fetch(`${cached.url}/metrics`)).text();
      assert.equal(sample(later, 'socketworks_queue_waiting', { queue: 'interactive' }), 3);
      assert.equal(cached.dashboard.stats.reads - readsBefore, 1);
    } finally {
      await cached.close();
    }
  });

  test('/healthz, /readyz and /metrics need no credentials; /readyz is 503 while Redis is down', async () => {
    assert.equal((await fetch(`${t.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${t.url}/readyz`)).status, 200);
    const redis = await startPrivateRedis();
    const own = await startTestDashboard({ name: 'dash-down', redisUrl: redis.url, env: { DASHBOARD_METRICS_CACHE_MS: '0' } });
    try {
      assert.equal((await fetch(`${own.url}/readyz`)).status, 200);
      await redis.stop();
      const down = await fetch(`${own.url}/readyz`);
      assert.equal(down.status, 503);
      assert.deepEqual(await down.json(), { ready: false, redis: 'unreachable' });
      assert.equal((await fetch(`${own.url}/healthz`)).status, 200);
      const metrics = await fetch(`${own.url}/metrics`);
      assert.equal(metrics.status, 200);
      const text = await metrics.text();
      assert.equal(sample(text, 'socketworks_dashboard_redis_up'), 0);
      assert.equal(sample(text, 'socketworks_queue_waiting', { queue: 'events' }), undefined, 'no stale counts');
      const overview = await own.fetch('/');
      assert.equal(overview.status, 200);
      assert.match(await overview.text(), /Redis is not answering/);
      const started = Date.now();
      const api = await own.fetch('/api/jobs?q=EvX');
      assert.equal(api.status, 503);
      assert.equal(((await api.json()) as { error: string }).error, 'ERR_DASHBOARD_REDIS_UNAVAILABLE');
      assert.ok(Date.now() - started < 1000, 'answered at once, not after ioredis gave up');
      await redis.start();
      await waitFor(async () => (await fetch(`${own.url}/readyz`)).status === 200, { timeoutMs: 15000, message: '/readyz back to 200' });
    } finally {
      await own.close();
      await redis.stop();
    }
  });
});

describe('dashboard while Redis is down', () => {
  test('logs a queue error once while it repeats, not once per queue and reconnect attempt', async () => {
    const redis = await startPrivateRedis();
    const own = await startTestDashboard({ name: 'dash-down-log', redisUrl: redis.url });
    try {
      const connection = await own.dashboard.queues.events.client;
      const errors: string[] = [];
      connection.on('error', (err: Error) => errors.push(err.message));
      await redis.stop();
      await waitFor(() => errors.length >= 3, { timeoutMs: 15000, message: 'three failed reconnect attempts' });
      // Each error reaches all four queues; one line per run of the same error (ECONNREFUSED, and
      // maybe a reset before it).
      const runs = errors.filter((message, i) => message !== errors[i - 1]).length;
      assert.equal(own.logs.lines.filter((l) => l.msg === 'queue error').length, runs, errors.join(' | '));
    } finally {
      await redis.start();
      await waitFor(async () => (await fetch(`${own.url}/readyz`)).status === 200, { timeoutMs: 15000, message: '/readyz back to 200' });
      await own.close();
      await redis.stop();
    }
  });
});

describe('dashboard with DASHBOARD_OPEN on loopback', () => {
  test('serves without credentials, says so in the log, and still answers unknown routes with 404', async () => {
    const open = await startTestDashboard({ name: 'dash-open', env: { DASHBOARD_OPEN: 'true', DASHBOARD_USER: '', DASHBOARD_PASSWORD: '', DASHBOARD_TOKEN: '' } });
    try {
      const page = await fetch(`${open.url}/`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /Signed in as open/);
      assert.equal((await fetch(`${open.url}/queues/api/queues`)).status, 200);
      assert.ok(open.logs.lines.some((l) => l.level === 'warn' && l.msg === 'dashboard runs WITHOUT authentication (DASHBOARD_OPEN=true, loopback only)'));
      const missing = await fetch(`${open.url}/api/nothing-here`);
      assert.equal(missing.status, 404);
      assert.equal(((await missing.json()) as { error: string }).error, 'ERR_DASHBOARD_NO_ROUTE');
      assert.equal((await fetch(`${open.url}/nothing-here`, { headers: { accept: 'text/html' } })).status, 404);
    } finally {
      await open.close();
    }
  });

  test('answers only requests addressed to a loopback name (DNS rebinding): any other Host gets 421, counted and logged', async () => {
    const open = await startTestDashboard({ name: 'dash-open-host', env: { DASHBOARD_OPEN: 'true', DASHBOARD_USER: '', DASHBOARD_PASSWORD: '', DASHBOARD_TOKEN: '' } });
    try {
      await open.queues.events.add('events_api', eventJobData({ eventId: 'EvHOST1', envelopeId: 'env-host-1' }), { jobId: 'ev-EvHOST1', attempts: 1 });
      await failJobs(open, 'events', 1);
      const port = open.dashboard.port;
      for (const host of [`localhost:${port}`, 'localhost', `127.0.0.1:${port}`, '127.0.0.1', `127.8.9.10:${port}`, `[::1]:${port}`, '[::1]', `LOCALHOST:${port}`]) {
        const [status] = await rawRequest(port, 'GET', '/api/queues', { host });
        assert.equal(status, 200, host);
      }
      const refusedHosts = [`attacker.example:${port}`, 'attacker.example', `localhost.attacker.example:${port}`, `127.0.0.1.nip.io:${port}`, `10.0.0.5:${port}`, `[::2]:${port}`, `[::ffff:127.0.0.1]:${port}`, ''];
      for (const host of refusedHosts) {
        const [status, body] = await rawRequest(port, 'GET', '/api/queues', { host });
        assert.equal(status, 421, `Host "${host}"`);
        assert.match(body, /ERR_DASHBOARD_HOST_REFUSED/);
        assert.doesNotMatch(body, /events|waiting/, 'no queue data');
      }
      // The rebinding attack itself: a same-origin POST from the rebound page.
      const host = `attacker.example:${port}`;
      const [status, body] = await rawRequest(port, 'POST', '/api/queues/events/retry-failed', { host, origin: `http://${host}`, 'sec-fetch-site': 'same-origin' });
      assert.equal(status, 421);
      assert.match(body, /only requests addressed to localhost, 127\.0\.0\.1 or \[::1\]/);
      assert.equal(await open.queues.events.getJobState('ev-EvHOST1'), 'failed', 'not retried');
      const [page] = await rawRequest(port, 'GET', '/', { host, accept: 'text/html' });
      assert.equal(page, 421);

      const metrics = await (await fetch(`${open.url}/metrics`)).text();
      assert.equal(sample(metrics, 'socketworks_dashboard_refusals_total', { reason: 'host' }), refusedHosts.length + 2);
      assert.ok(open.logs.lines.some((l) => l.level === 'warn' && typeof l.msg === 'string' && l.msg.startsWith('request refused: Host is not loopback') && l.host === `attacker.example:${port}`));
    } finally {
      await open.close();
    }
  });

  test('a dashboard with credentials does not check Host (it may sit behind an ingress)', async () => {
    const t = await startTestDashboard({ name: 'dash-host-auth' });
    try {
      const [status] = await rawRequest(t.dashboard.port, 'GET', '/api/queues', { host: 'dashboard.internal.example', authorization: GOOD_AUTH });
      assert.equal(status, 200);
    } finally {
      await t.close();
    }
  });
});

describe('dashboard in read-only mode', () => {
  let writable: TestDashboard;
  let readOnly: TestDashboard;
  before(async () => {
    writable = await startTestDashboard({ name: 'dash-ro' });
    readOnly = await startTestDashboard({ name: 'dash-ro', prefix: writable.prefix, env: { DASHBOARD_READ_ONLY: 'true' } });
    await writable.queues.events.add('events_api', eventJobData({ eventId: 'EvRO1', envelopeId: 'env-ro-1' }), { jobId: 'ev-EvRO1', attempts: 1 });
    await failJobs(writable, 'events', 1);
  });
  after(async () => {
    await readOnly.close();
    await writable.close();
  });

  // The dashboard's guard answers all of these before bull-board's router: the router's own
  // read-only refusals (its hook, the retry routes, readOnlyMode) are tested on the router alone in
  // http/board.int.test.ts.
  test('shows the failed job but refuses every retry: our API (403), our forms (403), bull-board (403)', async () => {
    const found = (await (await readOnly.fetch('/api/jobs?event_id=EvRO1')).json()) as SearchAnswer;
    assert.equal(found.jobs[0]!.state, 'failed');
    const page = await (await readOnly.fetch('/jobs?kind=event_id&q=EvRO1')).text();
    assert.match(page, /Read-only/);
    assert.doesNotMatch(page, /Retry this job/);
    assert.doesNotMatch(await (await readOnly.fetch('/')).text(), /Retry all/);

    const refusals = [
      readOnly.fetch('/api/queues/events/jobs/ev-EvRO1/retry', { method: 'POST' }),
      readOnly.fetch('/api/queues/events/retry-failed', { method: 'POST' }),
      readOnly.fetch('/jobs/events/ev-EvRO1/retry', { method: 'POST' }),
      readOnly.fetch('/retry-failed/events', { method: 'POST' }),
      // bull-board's routes: retry one, retry all failed, clean, pause.
      readOnly.fetch('/queues/api/queues/events/ev-EvRO1/retry', { method: 'PUT' }),
      readOnly.fetch('/queues/api/queues/events/retry/failed', { method: 'PUT' }),
      readOnly.fetch('/queues/api/queues/events/ev-EvRO1/clean', { method: 'PUT' }),
      readOnly.fetch('/queues/api/queues/events/pause', { method: 'PUT' }),
    ];
    for (const res of await Promise.all(refusals)) {
      assert.equal(res.status, 403, res.url);
      const body = await res.text();
      assert.match(body, /read-only/i, res.url);
    }
    assert.equal(await readOnly.queues.events.getJobState('ev-EvRO1'), 'failed', 'still failed');
    assert.equal(await readOnly.queues.events.isPaused(), false);

    const board = (await (await readOnly.fetch('/queues/api/queues')).json()) as { queues: Array<{ readOnlyMode: boolean; allowRetries: boolean }> };
    assert.ok(board.queues.every((q) => q.readOnlyMode && !q.allowRetries), 'bull-board itself runs read-only too');

    // The same job, through the writable dashboard: proof the refusals were read-only mode.
    assert.equal((await writable.fetch('/queues/api/queues/events/ev-EvRO1/retry', { method: 'PUT' })).status, 204);
  });
});
