// The dashboard in this process against the real test Redis: authentication, bull-board, search,
// redaction, retry, read-only mode, metrics and health. Jobs are put in their states by real
// BullMQ producers and workers of the test's own.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startPrivateRedis, waitFor } from '@socketworks/testing';
import {
  basicAuth,
  commandJobData,
  eventJobData,
  failJobs,
  sample,
  startTestDashboard,
  TEST_PASSWORD,
  TEST_TOKEN,
  TEST_USER,
  type TestDashboard,
} from './test-support/harness';
import type { JobView } from './jobs/job-view';

interface SearchAnswer {
  query: { kind: string; value: string };
  jobs: JobView[];
}

describe('dashboard (in process)', () => {
  let t: TestDashboard;
  before(async () => {
    t = await startTestDashboard({ name: 'dash', env: { DASHBOARD_METRICS_CACHE_MS: '0' } });
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

  test("bull-board's own retry works when writable, and routes that forge or drop Slack work are refused", async () => {
    await t.queues.interactive.add('interactive', commandJobData('env-board-0'), { jobId: 'env-env-board-0', attempts: 1 });
    await failJobs(t, 'interactive', 1);
    const retry = await t.fetch('/queues/api/queues/interactive/env-env-board-0/retry', { method: 'PUT' });
    assert.equal(retry.status, 204);
    assert.equal(await t.queues.interactive.getJobState('env-env-board-0'), 'waiting');
    assert.ok(t.logs.lines.some((l) => l.msg === 'bull-board action' && l.status === 204 && l.actor === 'user:operator'));

    const add = await t.fetch('/queues/api/queues/interactive/add', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'forged', data: { type: 'interactive' }, options: {} }),
    });
    assert.equal(add.status, 403);
    assert.equal(await t.queues.interactive.count(), 1, 'nothing was added');
    const obliterate = await t.fetch('/queues/api/queues/interactive/obliterate', { method: 'PUT' });
    assert.equal(obliterate.status, 403);
    assert.equal(await t.queues.interactive.getJobState('env-env-board-0'), 'waiting');
    await t.queues.interactive.obliterate({ force: true });
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
