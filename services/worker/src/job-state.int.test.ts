// The worker's job state end to end through real queues: tokens from the Redis installation store
// (SLACK_INSTALLATION_STORE=redis, no SLACK_BOT_TOKEN), and a response_url spent across a job's
// attempts failing the job with a clear reason instead of POSTing to a dead URL.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { RedisInstallationStore } from '@socketworks/framework';
import { routeEnvelope, toJobData, type Envelope, type QueueName } from '@socketworks/protocol';
import { createQueues } from '@socketworks/runtime';
import { SlackSim, slashCommandPayload } from '@socketworks/slack-sim';
import { deleteKeys, getTestRedisUrl, uniquePrefix, waitFor } from '@socketworks/testing';
import { capturingLogger, mentionJob, testWorkerConfig } from './test-support';
import { startWorker, type RunningWorker } from './worker';

const TOKEN_A = 'xoxb-3000000001-3000000001-teamateamateama';
const TOKEN_B = 'xoxb-3000000002-3000000002-teambteambteamb';
const prefix = uniquePrefix('worker-state');
let redisUrl: string;
let sim: SlackSim;
let connection: Redis;
let queues: Record<QueueName, Queue>;
let worker: RunningWorker;
const { logger, lines: logs } = capturingLogger({ level: 'info' });
let respondAttempts = 0;

before(async () => {
  redisUrl = await getTestRedisUrl();
  sim = await SlackSim.start();
  connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  queues = createQueues(connection, { prefix, backoffMs: 100 });
  for (const q of Object.values(queues)) q.on('error', (err) => assert.fail(`queue error: ${err.message}`));
  const store = new RedisInstallationStore({ redis: connection, keyPrefix: prefix });
  await store.save({ teamId: 'TA0000001', botToken: TOKEN_A });
  await store.save({ teamId: 'TB0000001', botToken: TOKEN_B });
  await store.save({ teamId: 'T0000001', botToken: TOKEN_A }); // the simulator's default team (slash commands)
  const config = testWorkerConfig({ apiUrl: sim.apiUrl, redisUrl, prefix, queues: 'events:4,commands:4', env: { SLACK_INSTALLATION_STORE: 'redis' } });
  worker = await startWorker(config, {
    logger,
    register: (app) => {
      app.event('app_mention', async ({ event, say, context }) => void (await say({ text: `hello ${context.teamId} ${event.text}`, thread_ts: event.ts })));
      app.command('/thrice', async ({ ack, respond }) => {
        await ack();
        respondAttempts += 1;
        // First attempt: three responds, then a passing failure. Later: six (the first three replayed).
        const count = respondAttempts === 1 ? 3 : 6;
        for (let i = 0; i < count; i++) await respond(`attempt ${respondAttempts} response ${i}`);
        if (respondAttempts === 1) throw new Error('a passing failure after three responds');
      });
    },
  });
});

after(async () => {
  await worker?.stop();
  for (const q of Object.values(queues ?? {})) await q.close();
  connection?.disconnect();
  await sim?.close();
  if (redisUrl) await deleteKeys(redisUrl, `{${prefix}}*`);
});

async function settled(job: Job, state: 'completed' | 'failed'): Promise<Job> {
  return waitFor(
    async () => {
      const queue = queues[job.queueName as QueueName];
      if ((await queue.getJobState(job.id!)) !== state) return undefined;
      return queue.getJob(job.id!);
    },
    { timeoutMs: 10_000, message: `job ${job.id} to be ${state}` },
  );
}

test('SLACK_INSTALLATION_STORE=redis: each team is answered with its own token; a team without an installation fails at once, clearly, without a token', async () => {
  const jobs: Job[] = [];
  for (const [team, n] of [['TA0000001', 1], ['TB0000001', 2], ['TA0000001', 3]] as const) {
    const j = mentionJob(`<@U0000002> n${n} ${prefix}`, { teamId: team });
    jobs.push(await queues.events.add(j.name, j.data, j.opts));
  }
  for (const job of jobs) await settled(job, 'completed');
  const posts = sim.apiCalls('chat.postMessage').filter((c) => String(c.args.text).includes(prefix));
  const tokenOf = (n: number) => posts.find((c) => String(c.args.text).includes(` n${n} `))?.token;
  assert.deepEqual([tokenOf(1), tokenOf(2), tokenOf(3)], [TOKEN_A, TOKEN_B, TOKEN_A]);

  const stranger = mentionJob(`<@U0000002> who ${prefix}`, { teamId: 'TZ0000001' });
  const failed = await settled(await queues.events.add(stranger.name, stranger.data, stranger.opts), 'failed');
  assert.equal(failed.attemptsMade, 1, 'not retried');
  assert.match(failed.failedReason, /permanent error, not retried: no installation for team TZ0000001/);
  const all = JSON.stringify(logs) + failed.failedReason;
  assert.ok(!all.includes(TOKEN_A) && !all.includes(TOKEN_B), 'a token leaked into a log line or the failed reason');
});

test('a response_url spent across attempts (3 + 2 uses) fails the job with ERR_RESPOND_URL_EXHAUSTED; the sixth POST is never sent', async () => {
  const injected = sim.inject({ type: 'slash_commands', payload: slashCommandPayload({ command: '/thrice', text: '' }) });
  const payload = { ...slashCommandPayload({ command: '/thrice', text: '' }), response_url: injected.responseUrl };
  const envelope: Envelope = { type: 'slash_commands', envelope_id: injected.envelopeId, payload, accepts_response_payload: true, retry_attempt: 0, retry_reason: '' };
  const route = routeEnvelope(envelope);
  const job = await queues[route.queue].add('slash_commands', toJobData(envelope, { delivery: 'socket', receivedAt: Date.now() }), { jobId: route.jobId });
  const failed = await settled(job, 'failed');
  assert.equal(failed.attemptsMade, 2, `a passing failure, then the permanent one (${route.queue}: ${failed.failedReason})`);
  assert.match(failed.failedReason, /response_url was used 5 times already/);
  assert.ok(!failed.failedReason.includes('hooks'), 'the URL is not in the failed reason');
  const posts = sim.responseUrlCalls().filter((c) => c.originEnvelopeId === injected.envelopeId);
  // The second attempt's first three responds are the first attempt's, replayed (not re-sent); its
  // fourth and fifth take the URL's last uses; its sixth is refused before any POST.
  assert.deepEqual(
    posts.map((c) => [c.body.text, c.status]),
    [
      ['attempt 1 response 0', 200],
      ['attempt 1 response 1', 200],
      ['attempt 1 response 2', 200],
      ['attempt 2 response 3', 200],
      ['attempt 2 response 4', 200],
    ],
  );
  const line = logs.find((l) => l.msg === 'permanent error; failing the job without retries' && l.job_id === job.id);
  assert.equal((line?.err as { code?: string } | undefined)?.code, 'ERR_RESPOND_URL_EXHAUSTED');
});
