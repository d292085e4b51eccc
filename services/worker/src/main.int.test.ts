// The built worker as a process: start-up failures, SIGTERM in the middle of a job, and secrets
// in its output.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { bullPrefix, routeEnvelope, toJobData, type Envelope } from '@socketworks/protocol';
import { appMentionPayload, SlackSim } from '@socketworks/slack-sim';
import { deleteKeys, getTestRedisUrl, sample, SERVICE_ENTRIES, spawnService, startWorkerProcess, uniquePrefix, waitFor } from '@socketworks/testing';

const TOKEN = 'xoxb-0000000001-0000000001-mainintmainintmainint';
const prefix = uniquePrefix('worker-main');
let redisUrl: string;
let sim: SlackSim;
let dir: string;
let slowApp: string;

/**
 * An app whose handler takes a while (so SIGTERM lands mid-job) and that carelessly logs its
 * token, in a field and in a message, as a real app might.
 */
const SLOW_APP = `
module.exports = function register(app) {
  app.event('app_mention', async ({ event, say, logger, context }) => {
    logger.debug({ botToken: context.botToken, copy: { token: context.botToken } }, 'context of the slow handler');
    logger.info('working with token ' + context.botToken);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await say({ text: 'slow answer: ' + event.text, thread_ts: event.ts });
  });
};
`;

/** An app that fires a post it never awaits (to a channel Slack refuses), then answers. */
const CARELESS_APP = `
module.exports = function register(app) {
  app.event('app_mention', async ({ event, say, client }) => {
    client.chat.postMessage({ channel: 'X0000001', text: 'fire and forget' });
    await say({ text: 'careless answer: ' + event.text, thread_ts: event.ts });
  });
};
`;

before(async () => {
  redisUrl = await getTestRedisUrl();
  sim = await SlackSim.start();
  dir = await mkdtemp(join(tmpdir(), 'worker-main-'));
  slowApp = join(dir, 'slow-app.js');
  await writeFile(slowApp, SLOW_APP);
});

after(async () => {
  await sim?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  if (redisUrl) await deleteKeys(redisUrl, `{${prefix}}*`);
});

/** Runs the built worker with `env` until it exits by itself; returns its exit code and output. */
async function runToExit(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const proc = spawnService({ name: 'worker', entry: SERVICE_ENTRIES.worker, env });
  if (!proc.exited()) await once(proc.child, 'exit');
  return { code: proc.child.exitCode, output: proc.output() };
}

test('a missing SLACK_BOT_TOKEN stops the worker with exit 1, naming the variable', async () => {
  const { code, output } = await runToExit({ REDIS_URL: redisUrl, QUEUE_PREFIX: prefix });
  assert.equal(code, 1);
  assert.match(output, /SLACK_BOT_TOKEN is required/);
});

test('a malformed token and a bad WORKER_QUEUES are named, the token value is not printed', async () => {
  const wrong = 'xapp-1-A0000001-0000000001-notabottokennotabottoken';
  const { code, output } = await runToExit({ SLACK_BOT_TOKEN: wrong, WORKER_QUEUES: 'events,syncs' });
  assert.equal(code, 1);
  assert.match(output, /SLACK_BOT_TOKEN must be a Slack token starting with xoxb-/);
  assert.match(output, /WORKER_QUEUES entry 2: must be a queue name/);
  assert.ok(!output.includes(wrong) && !output.includes(wrong.slice(5)), 'the bad value was printed');
});

test('an APP_MODULE that cannot be found stops the worker with exit 1 and says so', async () => {
  const { code, output } = await runToExit({
    SLACK_BOT_TOKEN: TOKEN,
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: prefix,
    METRICS_PORT: '0',
    METRICS_HOST: '127.0.0.1',
    APP_MODULE: join(dir, 'no-such-app.js'),
  });
  assert.equal(code, 1);
  assert.match(output, /APP_MODULE: cannot find module/);
});

test('SIGTERM while a job runs: the job finishes and answers, then the worker exits 0; the token is in no output line', async () => {
  const worker = await startWorkerProcess({
    redisUrl,
    queuePrefix: prefix,
    slackApiUrl: sim.apiUrl,
    logLevel: 'debug',
    env: { SLACK_BOT_TOKEN: TOKEN, APP_MODULE: slowApp, METRICS_HOST: '127.0.0.1', WORKER_QUEUES: 'events:2' },
  });
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue('events', { connection, prefix: bullPrefix(prefix) });
  queue.on('error', (err) => assert.fail(`queue error: ${err.message}`));
  try {
    const text = `<@U0000002> finish me ${prefix}`;
    const payload = appMentionPayload({ text });
    const envelope: Envelope = { type: 'events_api', envelope_id: 'env-sigterm', payload, accepts_response_payload: false, retry_attempt: 0, retry_reason: '' };
    const jobId = routeEnvelope(envelope).jobId;
    await queue.add('events_api', toJobData(envelope, { delivery: 'socket', receivedAt: Date.now() }), { jobId, attempts: 1 });

    await worker.waitForLog((l) => l.msg === 'job started' && l.job_id === jobId, { timeoutMs: 10000 });
    const sigtermAt = Date.now();
    const code = await worker.stop('SIGTERM', 20000);
    assert.equal(code, 0, 'exit 0 after a clean drain');

    const answer = sim.apiCalls('chat.postMessage').find((c) => c.args.text === `slow answer: ${text}`);
    assert.ok(answer, 'the running job finished and answered');
    assert.ok(answer.at >= sigtermAt, 'it answered after SIGTERM arrived');
    assert.equal(await (await queue.getJob(jobId))?.getState(), 'completed');
    const msgs = worker.logs.map((l) => l.msg);
    assert.ok(msgs.indexOf('stopping') >= 0 && msgs.indexOf('stopping') < msgs.indexOf('stopped'), 'stopping … stopped');

    const output = worker.output();
    if (process.env.SHOW_WORKER_OUTPUT) process.stderr.write(output);
    assert.ok(worker.logs.some((l) => l.level === 'debug'), 'debug lines were written');
    assert.ok(worker.logs.some((l) => l.msg === 'context of the slow handler'), "the app's careless line was written");
    assert.ok(worker.logs.some((l) => l.msg === 'working with token [redacted]'), 'and censored');
    assert.ok(!output.includes(TOKEN) && !output.includes(TOKEN.slice(5)), 'the bot token leaked into the output');
  } finally {
    await worker.stop('SIGKILL');
    await queue.close();
    connection.disconnect();
  }
});

test('the ops server answers /healthz and /metrics with the worker metrics', async () => {
  const worker = await startWorkerProcess({
    redisUrl,
    queuePrefix: prefix,
    slackApiUrl: sim.apiUrl,
    env: { SLACK_BOT_TOKEN: TOKEN, METRICS_HOST: '127.0.0.1', WORKER_QUEUES: 'commands:1' },
  });
  try {
    const line = await worker.waitForLog((l) => l.msg === 'ops server listening');
    const base = `http://127.0.0.1:${String(line.port)}`;
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const ready = await waitFor(async () => ((await fetch(`${base}/readyz`)).status === 200 ? true : undefined), { timeoutMs: 5000 });
    assert.equal(ready, true);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    for (const name of [
      'socketworks_worker_jobs_total',
      'socketworks_worker_handler_duration_seconds',
      'socketworks_worker_rate_limited_total',
      'socketworks_worker_rate_limit_delays_total',
      'socketworks_worker_rate_limit_delay_seconds',
    ]) {
      assert.ok(metrics.includes(`# TYPE ${name}`), `${name} is exported`);
    }
    assert.deepEqual(worker.logs.find((l) => l.msg === 'worker ready')?.queues, ['commands']);
  } finally {
    assert.equal(await worker.stop(), 0);
  }
});

test('WORKER_NICE lowers the process priority before the worker starts, and says so', async () => {
  const requested = Math.min(19, getPriority() + 7);
  const worker = await startWorkerProcess({
    redisUrl,
    queuePrefix: prefix,
    slackApiUrl: sim.apiUrl,
    env: { SLACK_BOT_TOKEN: TOKEN, METRICS_PORT: '0', METRICS_HOST: '127.0.0.1', WORKER_QUEUES: 'commands:1', WORKER_NICE: String(requested) },
  });
  try {
    assert.equal(getPriority(worker.child.pid), requested);
    const msgs = worker.logs.map((l) => l.msg);
    assert.ok(msgs.indexOf('cpu priority lowered') >= 0 && msgs.indexOf('cpu priority lowered') < msgs.indexOf('worker ready'));
    assert.equal(worker.logs.find((l) => l.msg === 'cpu priority lowered')?.nice, requested);
  } finally {
    assert.equal(await worker.stop(), 0);
  }
});

test("an app's fire-and-forget call that rejects is logged (error) and counted; the process keeps serving jobs", async () => {
  const carelessApp = join(dir, 'careless-app.js');
  await writeFile(carelessApp, CARELESS_APP);
  const worker = await startWorkerProcess({
    redisUrl,
    queuePrefix: prefix,
    slackApiUrl: sim.apiUrl,
    env: { SLACK_BOT_TOKEN: TOKEN, APP_MODULE: carelessApp, METRICS_PORT: '0', METRICS_HOST: '127.0.0.1', WORKER_QUEUES: 'events:2' },
  });
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue('events', { connection, prefix: bullPrefix(prefix) });
  queue.on('error', (err) => assert.fail(`queue error: ${err.message}`));
  try {
    const port = (await worker.waitForLog((l) => l.msg === 'ops server listening')).port as number;
    const texts = [1, 2].map((i) => `<@U0000002> careless ${i} ${prefix}`);
    for (const text of texts) {
      const payload = appMentionPayload({ text });
      const envelope: Envelope = { type: 'events_api', envelope_id: `env-careless-${text}`, payload, accepts_response_payload: false, retry_attempt: 0, retry_reason: '' };
      await queue.add('events_api', toJobData(envelope, { delivery: 'socket', receivedAt: Date.now() }), { jobId: routeEnvelope(envelope).jobId });
      // One after the other: the second job is served by the process that met the first rejection.
      await waitFor(() => sim.apiCalls('chat.postMessage').find((c) => c.ok && c.args.text === `careless answer: ${text}`), { timeoutMs: 10000, message: `answer to ${text}` });
      const seen = texts.indexOf(text) + 1;
      await waitFor(() => worker.logs.filter((l) => String(l.msg).startsWith('unhandled promise rejection')).length === seen || undefined, { timeoutMs: 5000, message: `rejection ${seen} logged` });
    }
    assert.equal(worker.exited(), false, 'the process is still running');
    const lines = worker.logs.filter((l) => String(l.msg).startsWith('unhandled promise rejection'));
    assert.equal(lines.length, 2);
    assert.equal(lines[0]!.level, 'error');
    assert.match(String((lines[0]!.err as { message?: unknown }).message), /channel_not_found/);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    assert.equal(sample(metrics, 'socketworks_worker_unhandled_rejections_total'), 2);
    assert.ok(!worker.output().includes(TOKEN) && !worker.output().includes(TOKEN.slice(5)));
  } finally {
    // Connections first: an assertion here must not leave them open (the file would never end).
    await queue.close();
    connection.disconnect();
    assert.equal(await worker.stop(), 0, 'the worker was still running and stopped cleanly');
  }
});
