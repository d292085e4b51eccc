// The worker against a real Redis and the simulator, running the bundled example app: jobs are
// added the way the connector adds them (toJobData + routeEnvelope), and the answers are read
// back from the simulator and the queues.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { routeEnvelope, toJobData, type Envelope, type QueueName } from '@socketworks/protocol';
import { createQueues } from '@socketworks/runtime';
import { appMentionPayload, blockActionsPayload, messagePayload, SlackSim, slashCommandPayload } from '@socketworks/slack-sim';
import { deleteKeys, getTestRedisUrl, scrapeSample, uniquePrefix, waitFor } from '@socketworks/testing';
import { capturingLogger, testWorkerConfig } from './test-support';
import { startWorker, type RunningWorker } from './worker';

const TOKEN = 'xoxb-0000000001-0000000001-workerintworkerint';
const prefix = uniquePrefix('worker');
let redisUrl: string;
let sim: SlackSim;
let connection: Redis;
let queues: Record<QueueName, Queue>;
let worker: RunningWorker;
// No censor list (production passes the token as one): the check at the end sees what the worker
// and the framework themselves write, so a leak cannot hide behind the last-resort censor.
const { logger, lines: logs } = capturingLogger();

before(async () => {
  redisUrl = await getTestRedisUrl();
  sim = await SlackSim.start();
  connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  // Retries 200 ms apart (the default 1 s doubling would make the retry test wait for nothing).
  queues = createQueues(connection, { prefix, backoffMs: 200 });
  for (const q of Object.values(queues)) q.on('error', (err) => assert.fail(`queue error: ${err.message}`));
  const config = testWorkerConfig({ apiUrl: sim.apiUrl, redisUrl, prefix, queues: 'events:4,interactive:4,commands:4', env: { SLACK_BOT_TOKEN: TOKEN } });
  worker = await startWorker(config, {
    logger,
    appEnv: { EXAMPLE_APP_FAIL: 'on' },
  });
});

after(async () => {
  await worker?.stop();
  for (const q of Object.values(queues ?? {})) await q.close();
  connection?.disconnect();
  await sim?.close();
  if (redisUrl) await deleteKeys(redisUrl, `{${prefix}}*`);
});

/** Adds a job exactly as the connector does; injecting first makes the simulator issue a live response_url. */
async function enqueue(type: Envelope['type'], payload: Record<string, unknown>): Promise<{ job: Job; envelopeId: string }> {
  const injected = sim.inject({ type, payload });
  const live = injected.responseUrl ? { ...payload, response_url: injected.responseUrl } : payload;
  const envelope: Envelope = {
    type,
    envelope_id: injected.envelopeId,
    payload: live,
    accepts_response_payload: type !== 'events_api',
    retry_attempt: 0,
    retry_reason: '',
  };
  const route = routeEnvelope(envelope);
  const job = await queues[route.queue].add(type, toJobData(envelope, { delivery: 'socket', receivedAt: Date.now(), slot: 0 }), { jobId: route.jobId });
  return { job, envelopeId: injected.envelopeId };
}

async function settled(job: Job, state: 'completed' | 'failed', timeoutMs = 10000): Promise<Job> {
  return waitFor(
    async () => {
      // State first, then the job: a job read before the state check can be a stale copy from
      // before it settled (no failedReason yet).
      const queue = queues[job.queueName as QueueName];
      if ((await queue.getJobState(job.id!)) !== state) return undefined;
      return queue.getJob(job.id!);
    },
    { timeoutMs, message: `job ${job.id} to be ${state}` },
  );
}

/** One sample of the worker's /metrics, by name and labels; 0 when absent. */
const metric = (name: string, labels: Record<string, string>) => scrapeSample(`http://127.0.0.1:${worker.opsPort}/metrics`, name, labels);

test('app_mention: the example app replies in the thread with the event text; the job completes', async () => {
  const text = `<@U0000002> deploy status ${prefix}`;
  const payload = appMentionPayload({ text, channel: 'C0000077' });
  const { job } = await enqueue('events_api', payload);
  assert.equal(job.id, `ev-${String(payload.event_id)}`);
  const done = await settled(job, 'completed');
  const call = sim.apiCalls('chat.postMessage').find((c) => String(c.args.text).includes(prefix));
  assert.ok(call, 'chat.postMessage was called');
  assert.equal(call.args.channel, 'C0000077');
  assert.equal(call.args.thread_ts, (payload.event as { ts: string }).ts);
  assert.ok(String(call.args.text).includes(text), 'the reply carries the event text verbatim');
  assert.equal(call.token, TOKEN);
  assert.deepEqual(done.returnvalue, { handled: true, listeners: 1, acked: false });
  const started = logs.find((l) => l.msg === 'job started' && l.job_id === job.id);
  assert.ok(started, 'a job started line');
  assert.equal(started.envelope_id, job.data.envelope_id);
  assert.equal(started.event_id, payload.event_id);
  assert.equal(started.queue, 'events');
});

test('/echo: acked, and the command text goes to its response_url', async () => {
  const { job, envelopeId } = await enqueue('slash_commands', slashCommandPayload({ command: '/echo', text: `hello ${prefix}` }));
  assert.equal(job.queueName, 'commands');
  assert.equal(job.id, `env-${envelopeId}`);
  const done = await settled(job, 'completed');
  const call = sim.responseUrlCalls().find((c) => c.originEnvelopeId === envelopeId);
  assert.ok(call, 'response_url was called');
  assert.equal(call.status, 200);
  assert.ok(String(call.body.text).includes(`hello ${prefix}`), String(call.body.text));
  assert.equal((done.returnvalue as { acked: boolean }).acked, true);
});

test("block_actions: every action's value goes to the response_url", async () => {
  const payload = blockActionsPayload({
    actions: [
      { action_id: 'approve', value: `value-a-${prefix}` },
      { action_id: 'reject', value: `value-b-${prefix}` },
    ],
  });
  const { job, envelopeId } = await enqueue('interactive', payload);
  assert.equal(job.queueName, 'interactive');
  await settled(job, 'completed');
  const call = sim.responseUrlCalls().find((c) => c.originEnvelopeId === envelopeId);
  assert.ok(call, 'response_url was called');
  const text = String(call.body.text);
  assert.ok(text.includes(`value-a-${prefix}`) && text.includes(`value-b-${prefix}`), text);
});

test('a permanent Slack error (channel_not_found) fails the job after one attempt, the Slack error in failedReason', async () => {
  const { job } = await enqueue('events_api', appMentionPayload({ text: `hi ${prefix}`, channel: 'X0000001' }));
  const failed = await settled(job, 'failed');
  assert.match(failed.failedReason, /channel_not_found/);
  assert.equal(failed.attemptsMade, 1, 'no retries');
  assert.equal(sim.apiCalls('chat.postMessage').filter((c) => c.args.channel === 'X0000001').length, 1, 'Slack was asked once');
  const line = logs.find((l) => l.msg === 'permanent error; failing the job without retries' && l.job_id === job.id);
  assert.equal(line?.slack_error, 'channel_not_found');
});

test("'fail' fails the job at once with the example app's deliberate-failure message", async () => {
  const payload = messagePayload({ text: 'fail', channel: 'C0000001' });
  const { job } = await enqueue('events_api', payload);
  const failed = await settled(job, 'failed');
  assert.match(failed.failedReason, /example app: deliberate failure/);
  assert.equal(failed.attemptsMade, 1);
  const line = await waitFor(() => logs.find((l) => l.msg === 'job failed; no more attempts (in the failed set)' && l.job_id === job.id));
  assert.equal(line.event_id, payload.event_id, 'the final failure line carries event_id like the other job lines');
  const mention = await enqueue('events_api', appMentionPayload({ text: '<@U0000002> fail' }));
  assert.match((await settled(mention.job, 'failed')).failedReason, /deliberate failure/);
});

test('invalid job data fails fast without running the app', async () => {
  const job = await queues.events.add('events_api', { v: 99, type: 'events_api', payload: 'not an object' }, { jobId: `bad-${prefix}` });
  const failed = await settled(job, 'failed');
  assert.match(failed.failedReason, /invalid job data: job data failed validation at v, envelope_id/);
  assert.equal(failed.attemptsMade, 1);
});

test('a job whose stored data is not JSON fails for good at once (BullMQ cannot even build it), without running the app', async () => {
  const jobId = `unreadable-${prefix}`;
  // Delayed, so the data is overwritten before any worker can take the job.
  const job = await queues.events.add('events_api', { v: 1 }, { jobId, delay: 300 });
  const key = queues.events.toKey(jobId);
  await connection.hset(key, 'data', '{"secret": "xoxb-unre');
  await waitFor(async () => (await queues.events.getJobState(jobId)) === 'failed', { message: 'the unreadable job failed' });
  // Queue.getJob parses the data too: the stored fields are read directly.
  const [failedReason, attemptsMade, data] = await connection.hmget(key, 'failedReason', 'atm', 'data');
  assert.match(failedReason!, /^invalid job data: the stored data is not JSON/);
  assert.equal(attemptsMade, '1');
  assert.equal(data, '{"secret": "xoxb-unre', 'the stored data is left as it was, for an operator to read');
  assert.ok(!failedReason!.includes('xoxb'), 'the reason never quotes the data');
  const line = await waitFor(() => logs.find((l) => l.msg === 'invalid job data; failing the job without retries' && l.job_id === job.id));
  assert.equal(line.level, 'error');
  assert.ok(!JSON.stringify(logs).includes('xoxb-unre'), 'no log line quotes the data');
  // The same for opts (BullMQ parses them too); the job's data is never looked at.
  const optsId = `unreadable-opts-${prefix}`;
  await queues.events.add('events_api', { v: 1 }, { jobId: optsId, delay: 300 });
  await connection.hset(queues.events.toKey(optsId), 'opts', '{"attempts": 5');
  await waitFor(async () => (await queues.events.getJobState(optsId)) === 'failed', { message: 'the job with unreadable opts failed' });
  assert.equal(await connection.hget(queues.events.toKey(optsId), 'failedReason'), 'invalid job data: the stored opts is not JSON');
});

test('a 429 delays the job for Retry-After (not inside the client, no attempt used) and then it completes; metrics count it all', async () => {
  sim.setRateLimit({ method: 'chat.postMessage', count: 1, retryAfterSeconds: 1 });
  const text = `<@U0000002> rate limited ${prefix}`;
  const before = sim.apiCalls('chat.postMessage').length;
  const { job } = await enqueue('events_api', appMentionPayload({ text }));
  const done = await settled(job, 'completed');
  assert.equal(done.attemptsMade, 1, 'the delay used no attempt');
  // A 429 is answered before the body is read: its record has no args.
  const calls = sim.apiCalls('chat.postMessage').slice(before);
  assert.deepEqual(calls.map((c) => c.status), [429, 200]);
  assert.ok(String(calls[1]!.args.text).includes(text));
  assert.ok(calls[1]!.at - calls[0]!.at >= 1000, 'called again only after Retry-After');
  assert.equal(await metric('socketworks_worker_rate_limited_total', { method: 'chat.postMessage' }), 1);
  assert.equal(await metric('socketworks_worker_rate_limit_delays_total', { method: 'chat.postMessage' }), 1);
  assert.equal(await metric('socketworks_worker_rate_limit_delay_seconds_count', { method: 'chat.postMessage' }), 1);
  assert.equal(await metric('socketworks_worker_jobs_total', { queue: 'events', outcome: 'delayed' }), 1);
  assert.equal(await metric('socketworks_worker_jobs_total', { queue: 'events', outcome: 'retried' }), 0);
  // Earlier tests: the failed jobs (channel_not_found, two 'fail's, invalid data, two unreadable) and the completed ones.
  assert.equal(await metric('socketworks_worker_jobs_total', { queue: 'events', outcome: 'failed' }), 6);
  assert.equal(await metric('socketworks_worker_jobs_total', { queue: 'commands', outcome: 'completed' }), 1);
  assert.equal(await metric('socketworks_worker_jobs_total', { queue: 'interactive', outcome: 'completed' }), 1);
  assert.equal(await metric('socketworks_worker_handler_duration_seconds_count', { queue: 'interactive' }), 1);
});

test('readiness is 200 while the workers run; the token is in no log line', async () => {
  const res = await fetch(`http://127.0.0.1:${worker.opsPort}/readyz`);
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { ready: true, queues: { events: true, interactive: true, commands: true } });
  assert.ok(logs.some((l) => l.msg === 'worker ready'));
  const all = JSON.stringify(logs);
  assert.ok(logs.length > 20, 'the debug lines of every test above are here');
  assert.ok(!all.includes(TOKEN) && !all.includes(TOKEN.slice(5)), 'the bot token leaked into the logs');
});

test('a payload type of any length reaches the log cut to 64 characters', async () => {
  const { job } = await enqueue('interactive', { ...blockActionsPayload({ actions: [{ action_id: 'noop', value: 'n' }] }), type: 'y'.repeat(10_000) });
  await settled(job, 'completed');
  const started = logs.find((l) => l.msg === 'job started' && l.job_id === job.id)!;
  assert.equal(started.payload_type, 'y'.repeat(64));
});
