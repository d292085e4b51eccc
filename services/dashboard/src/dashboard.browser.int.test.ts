// What an operator on call does, in a real browser (Debian's Chromium): sign in, find the failed
// event by its event_id, read the error, fix the cause, press retry, see the job complete.
// Part 1 drives a real BullMQ Worker of the test's own whose handler fails until the cause is
// "fixed"; part 2 (dashboard.stack.browser.int.test.ts) runs the real connector, worker and
// simulator.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Browser, Page } from 'playwright-core';
import { bullPrefix } from '@socketworks/protocol';
import { waitFor } from '@socketworks/testing';
import { artifactPath, launchChromium, loopbackContext } from './test-support/browser';
import { eventJobData, sample, startTestDashboard, TEST_PASSWORD, TEST_USER, type TestDashboard } from './test-support/harness';

const EVENT_ID = 'Ev0BROWSER001';
const CAUSE = 'cause: chat.postMessage answered channel_not_found for C0DEADBEEF';

let t: TestDashboard;
let browser: Browser;
let worker: Worker;
let workerConnection: Redis;
/** Flipped by the test once "the cause is fixed". */
let causeFixed = false;
let handled = 0;

/**
 * Chromium either shows the 401 page or, having no one to type into its prompt (or having tried the
 * given credentials once), abandons the navigation with ERR_INVALID_AUTH_CREDENTIALS. Either way
 * the page must not be the dashboard.
 */
async function expectRefused(page: Page, url: string): Promise<void> {
  let response;
  try {
    response = await page.goto(url);
  } catch (err) {
    assert.match((err as Error).message, /ERR_INVALID_AUTH_CREDENTIALS/);
    return;
  }
  assert.equal(response?.status(), 401);
  assert.doesNotMatch(await response.text(), /Find a job|Signed in/);
}

before(async () => {
  // Launch first: without Chromium the test fails here, naming the install line.
  browser = await launchChromium();
  t = await startTestDashboard({ name: 'dash-browser', env: { DASHBOARD_METRICS_CACHE_MS: '0' } });
  workerConnection = new Redis(t.redisUrl, { maxRetriesPerRequest: null });
  workerConnection.on('error', () => undefined);
  worker = new Worker(
    'events',
    async () => {
      handled += 1;
      if (!causeFixed) throw new Error(CAUSE);
      return { ok: true };
    },
    { connection: workerConnection, prefix: bullPrefix(t.prefix) },
  );
  worker.on('error', () => undefined);
});

after(async () => {
  await browser?.close();
  await worker?.close();
  workerConnection?.disconnect();
  await t?.close();
});

test('an operator signs in, finds the failed event by event_id, retries it after the fix, and sees it complete', async () => {
  await t.queues.events.add('events_api', eventJobData({ eventId: EVENT_ID, envelopeId: '00000000-0000-4000-8000-00000000b001', text: 'deploy api' }), {
    jobId: `ev-${EVENT_ID}`,
    attempts: 2,
    backoff: { type: 'fixed', delay: 100 },
  });
  await waitFor(async () => (await t.queues.events.getJobState(`ev-${EVENT_ID}`)) === 'failed', { timeoutMs: 10000, message: 'the job to fail twice' });
  assert.equal(handled, 2);

  // Without credentials, and with wrong ones, the browser gets nothing but the 401.
  const anonymous = await loopbackContext(browser);
  await expectRefused((await anonymous.newPage()), `${t.url}/jobs`);
  await anonymous.close();
  const intruder = await loopbackContext(browser, { httpCredentials: { username: TEST_USER, password: 'guessed-password' } });
  const intruderPage = await intruder.newPage();
  await expectRefused(intruderPage, `${t.url}/jobs`);
  await intruder.close();
  const refusals = sample(await (await fetch(`${t.url}/metrics`)).text(), 'socketworks_dashboard_auth_failures_total', { scheme: 'basic' });
  assert.ok((refusals ?? 0) >= 1, 'the server refused the wrong password');

  const context = await loopbackContext(browser, { httpCredentials: { username: TEST_USER, password: TEST_PASSWORD } });
  const page = await context.newPage();
  const overview = await page.goto(`${t.url}/`);
  assert.equal(overview?.status(), 200);
  assert.equal(await page.locator('tr', { has: page.locator('th', { hasText: 'events' }) }).locator('td').nth(3).innerText(), '1', 'one failed event on the overview');

  // Find it the way the on-call engineer would: by the event_id from Slack or a log line.
  await page.getByRole('link', { name: 'Find a job' }).click();
  await page.getByLabel('Search by').selectOption('event_id');
  await page.getByLabel('Id').fill(EVENT_ID);
  await page.getByRole('button', { name: 'Find' }).click();
  await page.waitForURL(/\/jobs\?kind=event_id&q=Ev0BROWSER001/);
  const job = page.locator(`article[data-job-id="ev-${EVENT_ID}"]`);
  assert.equal(await job.getByTestId('job-state').innerText(), 'failed');
  assert.equal(await job.getByTestId('failed-reason').innerText(), CAUSE);
  assert.match(await job.innerText(), /Attempts\s+2 of 2/);
  assert.match(await job.getByTestId('job-data').innerText(), /"text": "deploy api"/);
  const failedShot = artifactPath('dashboard-failed-job.png');
  await page.screenshot({ path: failedShot, fullPage: true });

  // bull-board, in another tab, shows the same failure.
  const board = await context.newPage();
  await board.goto(`${t.url}/queues/queue/events?status=failed`);
  await board.getByText(`ev-${EVENT_ID}`).first().waitFor();
  await board.getByText(CAUSE).first().waitFor();
  await board.screenshot({ path: artifactPath('bull-board-failed.png'), fullPage: true });
  await board.close();

  // The cause is fixed; retry from the page.
  causeFixed = true;
  await job.getByRole('button', { name: 'Retry this job' }).click();
  await page.waitForURL(/notice=retried/);
  assert.match(await page.getByRole('status').first().innerText(), /moved back to waiting/);
  await waitFor(
    async () => {
      await page.reload();
      return (await page.locator(`article[data-job-id="ev-${EVENT_ID}"]`).getByTestId('job-state').innerText()) === 'completed';
    },
    { timeoutMs: 15000, intervalMs: 200, message: 'the page to show the job completed' },
  );
  assert.equal(handled, 3, 'the handler ran once more');
  assert.equal(await page.locator(`article[data-job-id="ev-${EVENT_ID}"]`).getByRole('button', { name: 'Retry this job' }).count(), 0);
  const doneShot = artifactPath('dashboard-retried-job.png');
  await page.screenshot({ path: doneShot, fullPage: true });
  await context.close();
  console.log(`screenshots: ${failedShot} ${doneShot}`);
});
