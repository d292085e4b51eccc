// A 429 storm: two workers share a Redis and one Slack team; the simulator rate-limits
// chat.postMessage for 12 windows of one second (a 429 + Retry-After: 1 opens each; calls inside it
// get 429 too, recorded `early`). Every mention must be answered exactly once, no chat.postMessage
// may reach Slack while a pause is in force (beyond the calls already in flight), and the delays
// must use up none of the jobs' attempts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import type { Queue } from 'bullmq';
import { createLogger, createMetricsRegistry, type Registry } from '@socketworks/runtime';
import { SlackSim } from '@socketworks/slack-sim';
import { deleteKeys, getTestRedisUrl, uniquePrefix, waitFor } from '@socketworks/testing';
import { countByText, mentionJob, testQueue, testWorkerConfig } from './test-support';
import { startWorker, type RunningWorker } from './worker';

const TOKEN = 'xoxb-0000000001-0000000001-ratelimitratelimit';
const JOBS = 200;
/** Each window holds the team's chat.postMessage for a second: about a second of test time each. */
const WINDOWS = 12;
/**
 * A call that passed its pause check a moment before another worker wrote the pause can still
 * reach Slack just after the 429 that set it (and meet an early 429): it was already on its way.
 * Past this, none may.
 * Measured up to ~150 ms here (simulator, two workers and the test share one event loop); a
 * worker without the pause check sends calls all through the second.
 */
const IN_FLIGHT_GRACE_MS = 350;

const prefix = uniquePrefix('rate-limit');
let redisUrl: string;
let sim: SlackSim;
let connection: Redis;
let queue: Queue;
const workers: RunningWorker[] = [];
const registries: Registry[] = [];

before(async () => {
  redisUrl = await getTestRedisUrl();
  sim = await SlackSim.start();
  connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  queue = testQueue('events', connection, prefix, (err) => assert.fail(`queue error: ${err.message}`));
  const config = testWorkerConfig({ apiUrl: sim.apiUrl, redisUrl, prefix, queues: 'events:8', env: { SLACK_BOT_TOKEN: TOKEN } });
  for (let i = 0; i < 2; i++) {
    const registry = createMetricsRegistry('worker');
    registries.push(registry);
    workers.push(
      await startWorker(config, {
        logger: createLogger({ name: `worker-${i}`, level: 'silent' }),
        registry,
        register: (app) => {
          app.event('app_mention', async ({ event, say }) => void (await say({ text: `answer: ${event.text}`, thread_ts: event.ts })));
        },
      }),
    );
  }
});

after(async () => {
  for (const w of workers) await w.stop();
  await queue?.close();
  connection?.disconnect();
  await sim?.close();
  if (redisUrl) await deleteKeys(redisUrl, `{${prefix}}*`);
});

async function metricSum(name: string): Promise<number> {
  let sum = 0;
  for (const r of registries) {
    const metric = await r.getSingleMetric(name)?.get();
    for (const v of metric?.values ?? []) if (!('metricName' in v) || v.metricName === name) sum += v.value;
  }
  return sum;
}

test(`${JOBS} mentions through ${WINDOWS} rate-limit windows: all answered once, nothing sent during a pause, no attempt used`, async () => {
  sim.setRateLimit({ method: 'chat.postMessage', count: WINDOWS, retryAfterSeconds: 1 });
  const texts = Array.from({ length: JOBS }, (_, i) => `<@U0000002> storm ${i} ${prefix}`);
  const started = Date.now();
  await queue.addBulk(texts.map((t) => mentionJob(t)));

  await waitFor(async () => (await queue.getJobCounts('completed')).completed === JOBS, { timeoutMs: 90_000, intervalMs: 200, message: `${JOBS} completed jobs` });
  const elapsedMs = Date.now() - started;

  const calls = sim.apiCalls('chat.postMessage');
  const limited = calls.filter((c) => c.status === 429);
  const openers = limited.filter((c) => !c.early);
  assert.equal(openers.length, WINDOWS, `the simulator opened exactly its ${WINDOWS} windows`);
  const counts = countByText(calls);
  for (const t of texts) assert.equal(counts.get(`answer: ${t}`), 1, `answered exactly once: ${t}`);
  assert.equal(counts.size, JOBS);

  // Every window's 429 starts a 1 s pause (from when the worker heard it). Calls in flight may land
  // just after it (inside the window: early 429s); past the grace, none may reach Slack until the
  // pause is over.
  let inFlight = 0;
  let maxInFlightMs = 0;
  for (const l of openers) {
    for (const c of calls) {
      const offset = c.at - l.at;
      if (offset <= 0 || offset >= 1000) continue;
      assert.ok(offset <= IN_FLIGHT_GRACE_MS, `a chat.postMessage reached Slack ${offset.toFixed(0)} ms into a pause`);
      inFlight += 1;
      maxInFlightMs = Math.max(maxInFlightMs, offset);
    }
  }

  const jobs = await queue.getJobs(['completed'], 0, JOBS);
  assert.equal(jobs.length, JOBS);
  assert.ok(jobs.every((j) => j.attemptsMade === 1), 'no job used more than one attempt');
  assert.equal(await queue.getJobCountByTypes('failed'), 0);

  const delays = await metricSum('socketworks_worker_rate_limit_delays_total');
  const rateLimited = await metricSum('socketworks_worker_rate_limited_total');
  assert.equal(rateLimited, limited.length, 'every 429 counted, early ones too');
  assert.ok(delays >= limited.length, `every 429 delayed its job, and pauses delayed others without calling Slack (${delays} delays)`);
  process.stderr.write(
    `# ${JOBS} jobs, ${WINDOWS} windows, ${limited.length} 429s (${limited.length - WINDOWS} early): ${elapsedMs} ms; ` +
      `${delays} delays (${delays - limited.length} without calling Slack); ` +
      `${inFlight} calls in flight after a 429 (max ${maxInFlightMs.toFixed(0)} ms)\n`,
  );
});
