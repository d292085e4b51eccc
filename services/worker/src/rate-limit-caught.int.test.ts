// A listener written as Bolt's docs write it — its Web API call in a try/catch that only logs —
// meets a 429. Bolt's own client would have waited and retried; here the call rejects at once, so
// the framework fails the run anyway and the worker delays the job: the message is posted after
// Retry-After, and the other jobs the pause refused locally (their apps caught that too) as well.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import type { Queue } from 'bullmq';
import { stateKeys } from '@socketworks/framework';
import { SlackSim } from '@socketworks/slack-sim';
import { deleteKeys, getTestRedisUrl, uniquePrefix, waitFor } from '@socketworks/testing';
import { capturingLogger, countByText, mentionJob, testQueue, testWorkerConfig } from './test-support';
import { startWorker, type RunningWorker } from './worker';

const TOKEN = 'xoxb-0000000001-0000000001-caughtcaughtcaught';
const prefix = uniquePrefix('rate-limit-caught');
let redisUrl: string;
let sim: SlackSim;
let connection: Redis;
let queue: Queue;
let worker: RunningWorker;
const caught: string[] = [];
const { logger, lines } = capturingLogger({ level: 'info' });

before(async () => {
  redisUrl = await getTestRedisUrl();
  sim = await SlackSim.start();
  connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  queue = testQueue('events', connection, prefix, (err) => assert.fail(`queue error: ${err.message}`));
  const config = testWorkerConfig({ apiUrl: sim.apiUrl, redisUrl, prefix, queues: 'events:4', env: { SLACK_BOT_TOKEN: TOKEN } });
  worker = await startWorker(config, {
    logger,
    register: (app) => {
      app.event('app_mention', async ({ event, client, logger: log }) => {
        try {
          await client.chat.postMessage({ channel: event.channel, text: `answer: ${event.text}` });
        } catch (error) {
          caught.push((error as { code: string }).code);
          log.error({ code: (error as { code: string }).code }, 'could not answer');
        }
      });
    },
  });
});

after(async () => {
  await worker?.stop();
  await queue?.close();
  connection?.disconnect();
  await sim?.close();
  if (redisUrl) await deleteKeys(redisUrl, `{${prefix}}*`);
});

const args = (j: ReturnType<typeof mentionJob>) => [j.name, j.data, j.opts] as const;

test('a 429 the app caught and logged: the job is still delayed for Retry-After (no attempt used) and the message is posted after it', async () => {
  sim.setRateLimit({ method: 'chat.postMessage', count: 1, retryAfterSeconds: 1 });
  const texts = [1, 2, 3].map((i) => `<@U0000002> caught ${i} ${prefix}`);
  // The first meets Slack's 429; the others come once the pause is written and meet it locally.
  await queue.add(...args(mentionJob(texts[0]!)));
  await waitFor(() => sim.apiCalls('chat.postMessage').some((c) => c.status === 429), { timeoutMs: 10_000, message: 'the 429' });
  await waitFor(async () => (await connection.exists(stateKeys(prefix).rateLimit('T0000001', 'chat.postMessage'))) === 1, { timeoutMs: 5000, message: 'the pause' });
  await queue.addBulk(texts.slice(1).map((t) => mentionJob(t)));
  await waitFor(async () => (await queue.getJobCounts('completed')).completed === texts.length, { timeoutMs: 20_000, intervalMs: 100, message: 'every job completed' });

  const calls = sim.apiCalls('chat.postMessage');
  const limited = calls.filter((c) => c.status === 429);
  assert.equal(limited.length, 1);
  const counts = countByText(calls);
  for (const t of texts) assert.equal(counts.get(`answer: ${t}`), 1, `posted exactly once: ${t}`);
  for (const c of calls.filter((c) => c.ok)) assert.ok(c.at - limited[0]!.at >= 1000, 'posted only after Retry-After');
  assert.equal(caught.length, 3, 'the app caught the 429 and the two local refusals');
  assert.ok(caught.every((c) => c === 'ERR_SLACK_RATE_LIMITED'));

  const jobs = await queue.getJobs(['completed']);
  assert.ok(jobs.every((j) => j.attemptsMade === 1), 'the delays used no attempt');
  const delayed = lines.filter((l) => l.msg === 'rate limited; job delayed until the pause is over (no attempt used)');
  assert.ok(delayed.length >= 1, 'the worker delayed the jobs');
  const loud = lines.find((l) => typeof l.msg === 'string' && l.msg.startsWith('a Web API call of this job was rate limited and not made; the app caught the error'));
  assert.ok(loud, 'the override is logged');
  assert.equal(loud.level, 'warn');
  assert.equal(loud.method, 'chat.postMessage');
});
