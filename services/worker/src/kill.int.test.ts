// kill -9 under load: three worker processes answer 300 mentions while a killer SIGKILLs a random
// one every ~300 ms and starts a replacement. Jobs are at-least-once (a killed worker's jobs stall
// and run again elsewhere); the recorded effects must make every answer exactly-once: no message
// posted twice, none missing. chat.postMessage answers are delayed by the simulator, so many kills
// land mid-call — the post exists, its worker never heard back — and the retry must find the
// post by its metadata tag instead of posting again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { Queue } from 'bullmq';
import { SlackSim } from '@socketworks/slack-sim';
import { deleteKeys, getTestRedisUrl, startWorkerProcess, uniquePrefix, waitFor, type ServiceProcess } from '@socketworks/testing';
import { countByText, mentionJob, testQueue, writeApp } from './test-support';

const JOBS = 300;
const WORKERS = 3;
const KILL_EVERY_MS = 300;
const MAX_KILLS = 30;
const TOKEN = 'xoxb-0000000001-0000000001-killkillkillkillkill';

const prefix = uniquePrefix('kill');
let redisUrl: string;
let sim: SlackSim;
let dir: string;
let appFile: string;
let connection: Redis;
let queue: Queue;
const all: ServiceProcess[] = [];

before(async () => {
  redisUrl = await getTestRedisUrl();
  sim = await SlackSim.start();
  // The post takes effect at once; its answer comes 60 ms later: a kill in between is the
  // ambiguous "died mid-call" case.
  sim.setApiLatency({ method: 'chat.postMessage', ms: 60 });
  dir = await mkdtemp(join(tmpdir(), 'worker-kill-'));
  appFile = await writeApp(dir);
  connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  queue = testQueue('events', connection, prefix, (err) => assert.fail(`queue error: ${err.message}`));
});

after(async () => {
  await Promise.all(all.map((p) => p.stop('SIGKILL')));
  await queue?.close();
  connection?.disconnect();
  await sim?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
  if (redisUrl) await deleteKeys(redisUrl, `{${prefix}}*`);
});

function startOne(i: number): Promise<ServiceProcess> {
  const started = startWorkerProcess({
    name: `worker-${i}`,
    redisUrl,
    queuePrefix: prefix,
    slackApiUrl: sim.apiUrl,
    logLevel: 'info',
    env: {
      SLACK_BOT_TOKEN: TOKEN,
      APP_MODULE: appFile,
      TEST_APP_LINGER_MS: '50',
      METRICS_HOST: '127.0.0.1',
      WORKER_QUEUES: 'events:8',
      // A killed worker's jobs run again after ~lock + stalled interval; short here so the test
      // ends in reasonable time. Killed jobs stall again and again: allow it.
      WORKER_LOCK_DURATION_MS: '5000',
      WORKER_STALLED_INTERVAL_MS: '1000',
      WORKER_MAX_STALLED_COUNT: '100',
    },
  });
  return started;
}

test(`kill -9 a random worker every ~${KILL_EVERY_MS} ms under ${JOBS} mentions: every mention answered exactly once`, async () => {
  const live: ServiceProcess[] = await Promise.all(Array.from({ length: WORKERS }, (_, i) => startOne(i)));
  all.push(...live);
  const texts = Array.from({ length: JOBS }, (_, i) => `<@U0000002> kill ${i} ${prefix}`);
  const started = Date.now();
  await queue.addBulk(texts.map((t) => mentionJob(t, { channel: 'C0000900' })));

  // The killer: SIGKILL one live worker, start its replacement without waiting for it.
  let kills = 0;
  let next = WORKERS;
  const starting: Array<Promise<void>> = [];
  const completed = async () => (await queue.getJobCounts('completed')).completed ?? 0;
  while (kills < MAX_KILLS && (await completed()) < JOBS) {
    await new Promise((resolve) => setTimeout(resolve, KILL_EVERY_MS * (0.5 + Math.random())));
    const victims = live.filter((p) => !p.exited());
    const victim = victims[Math.floor(Math.random() * victims.length)];
    if (!victim) continue;
    victim.child.kill('SIGKILL');
    live.splice(live.indexOf(victim), 1);
    kills += 1;
    const n = next++;
    starting.push(
      startOne(n).then(
        (p) => {
          all.push(p);
          live.push(p);
        },
        (err: unknown) => assert.fail(`replacement worker ${n} did not start: ${String(err)}`),
      ),
    );
  }
  const killingMs = Date.now() - started;
  await Promise.all(starting);

  await waitFor(async () => (await completed()) === JOBS, {
    timeoutMs: 90_000,
    intervalMs: 250,
    message: `${JOBS} completed jobs`,
  });
  const elapsedMs = Date.now() - started;

  const counts = countByText(sim.apiCalls('chat.postMessage'));
  const twice = texts.filter((t) => (counts.get(`answer: ${t}`) ?? 0) > 1);
  const missing = texts.filter((t) => !counts.has(`answer: ${t}`));
  assert.deepEqual(twice, [], 'no mention answered twice');
  assert.deepEqual(missing, [], 'no mention left unanswered');
  assert.equal(counts.size, JOBS);
  assert.equal(await queue.getJobCountByTypes('failed'), 0);
  assert.ok(kills >= 10, `the killer killed ${kills} workers`);

  const logs = all.flatMap((p) => p.logs);
  const found = logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('an earlier attempt posted this message')).length;
  const replayed = sim.apiCalls('conversations.replies').length;
  process.stderr.write(
    `# ${JOBS} jobs, ${kills} kills in ${killingMs} ms, all done in ${elapsedMs} ms; ` +
      `${replayed} thread lookups after a mid-call death, ${found} posts found by their tag (not posted again)\n`,
  );
});
