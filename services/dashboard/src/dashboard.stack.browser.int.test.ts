// The product's failure story end to end, in a real browser: Slack (the simulator) sends an
// app_mention whose text is `fail`; the real connector acks and enqueues it; the real worker runs
// the bundled example app, which fails it on purpose (EXAMPLE_APP_FAIL on). The operator signs in
// to the real dashboard process, finds the event by its event_id, reads the error, switches the
// cause off (restarts the worker with EXAMPLE_APP_FAIL=off), presses retry, and sees the job
// complete and the app's answer reach Slack.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { appMentionPayload, SlackSim, VERIFICATION_TOKEN } from '@socketworks/slack-sim';
import { bullPrefix } from '@socketworks/protocol';
import {
  deleteKeys,
  getTestRedisUrl,
  SERVICE_ENTRIES,
  spawnService,
  startConnectorProcess,
  startWorkerProcess,
  uniquePrefix,
  waitFor,
  type ServiceProcess,
} from '@socketworks/testing';
import { artifactPath, launchChromium, loopbackContext } from './test-support/browser';

const USER = 'oncall';
const PASSWORD = 'stack-browser-password-3e1';
const DELIBERATE_FAILURE = "example app: deliberate failure on 'fail'";

let browser: Browser;
let sim: SlackSim;
let connector: ServiceProcess | undefined;
let worker: ServiceProcess | undefined;
let dashboard: ServiceProcess | undefined;
let dashboardUrl: string;
let redisUrl: string;
const queuePrefix = uniquePrefix('dash-stack');

before(async () => {
  for (const [name, entry] of Object.entries(SERVICE_ENTRIES)) {
    if (name !== 'sim') assert.ok(existsSync(entry), `${entry} is built (npx nx run-many -t build)`);
  }
  browser = await launchChromium();
  redisUrl = await getTestRedisUrl();
  sim = await SlackSim.start({ redeliveryTimeoutMs: 2000 });
  const common = { redisUrl, queuePrefix, slackApiUrl: sim.apiUrl, logLevel: 'info' };
  worker = await startWorkerProcess({ ...common, env: { METRICS_HOST: '127.0.0.1', WORKER_QUEUES: 'events:4' } });
  connector = await startConnectorProcess({ ...common, sockets: 1, env: { METRICS_HOST: '127.0.0.1', SLACK_CONNECTIONS: '1' } });
  dashboard = spawnService({
    name: 'dashboard',
    entry: SERVICE_ENTRIES.dashboard,
    env: {
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: queuePrefix,
      DASHBOARD_PORT: '0',
      DASHBOARD_HOST: '127.0.0.1',
      DASHBOARD_USER: USER,
      DASHBOARD_PASSWORD: PASSWORD,
      DASHBOARD_METRICS_CACHE_MS: '0',
    },
  });
  const listening = await dashboard.waitForLog((l) => l.msg === 'dashboard listening', { timeoutMs: 15000 });
  dashboardUrl = String(listening.url).replace(/\/$/, '');
});

after(async () => {
  await browser?.close();
  await Promise.all([connector?.stop(), worker?.stop(), dashboard?.stop()]);
  await sim?.close();
  await deleteKeys(redisUrl, `${bullPrefix(queuePrefix)}:*`);
});

test('a `fail` mention fails in the real worker; the operator finds it, switches the cause off, retries, and Slack gets the answer', { timeout: 90000 }, async () => {
  const text = `<@U0000002> fail`;
  const injected = sim.inject({ type: 'events_api', payload: appMentionPayload({ text }) });
  const eventId = injected.eventId!;
  assert.ok(eventId, 'the simulator gave the event an event_id');
  await waitFor(() => sim.acks().some((a) => a.envelopeId === injected.envelopeId), { timeoutMs: 10000, message: 'the connector to ack the envelope' });
  await worker!.waitForLog((l) => String(l.msg).startsWith('job failed; no more attempts') && l.job_id === `ev-${eventId}`, { timeoutMs: 15000 });

  const context = await loopbackContext(browser, { httpCredentials: { username: USER, password: PASSWORD } });
  const page = await context.newPage();
  assert.equal((await page.goto(`${dashboardUrl}/jobs`))?.status(), 200);
  await page.getByLabel('Search by').selectOption('event_id');
  await page.getByLabel('Id').fill(eventId);
  await page.getByRole('button', { name: 'Find' }).click();
  const job = page.locator(`article[data-job-id="ev-${eventId}"]`);
  assert.equal(await job.getByTestId('job-state').innerText(), 'failed');
  assert.match(await job.getByTestId('failed-reason').innerText(), new RegExp(DELIBERATE_FAILURE.replace(/[.*+?^${}()|[\]\\']/g, '\\$&')));
  assert.match(await job.innerText(), /Attempts\s+1 of/);
  const data = await job.getByTestId('job-data').innerText();
  assert.match(data, /"text": "<@U0000002> fail"/);
  assert.ok(!data.includes(VERIFICATION_TOKEN), "Slack's verification token is not in the job");
  assert.equal(sim.apiCalls('chat.postMessage').filter((c) => String(c.args.text).includes('fail')).length, 0, 'nothing was posted');
  const failedShot = artifactPath('stack-failed-job.png');
  await page.screenshot({ path: failedShot, fullPage: true });

  // The cause is switched off: the worker comes back without the deliberate failure.
  assert.equal(await worker!.stop('SIGTERM'), 0);
  worker = await startWorkerProcess({
    redisUrl,
    queuePrefix,
    slackApiUrl: sim.apiUrl,
    env: { METRICS_HOST: '127.0.0.1', WORKER_QUEUES: 'events:4', EXAMPLE_APP_FAIL: 'off' },
  });

  await job.getByRole('button', { name: 'Retry this job' }).click();
  await page.waitForURL(/notice=retried/);
  await waitFor(
    async () => {
      await page.reload();
      return (await page.locator(`article[data-job-id="ev-${eventId}"]`).getByTestId('job-state').innerText()) === 'completed';
    },
    { timeoutMs: 20000, intervalMs: 250, message: 'the page to show the job completed' },
  );
  await waitFor(() => sim.apiCalls('chat.postMessage').some((c) => c.ok && String(c.args.text) === `You said: ${text}`), {
    timeoutMs: 10000,
    message: "the app's answer to reach Slack",
  });
  const doneShot = artifactPath('stack-retried-job.png');
  await page.screenshot({ path: doneShot, fullPage: true });
  await context.close();
  assert.ok(dashboard!.logs.some((l) => l.msg === 'job retried' && l.actor === `user:${USER}`), 'the retry is in the audit log');
  assert.ok(!dashboard!.output().includes(PASSWORD));
  console.log(`screenshots: ${failedShot} ${doneShot}`);
});
