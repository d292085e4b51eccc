// The worker as a unit tests can start in-process: the app, one BullMQ Worker per served queue,
// metrics and the ops server. main.ts only adds config parsing and signal handling.
import type { Job, Worker } from 'bullmq';
import type { RedisClient } from '@socketworks/runtime';
import { App, RedisInstallationStore } from '@socketworks/framework';
import { bullPrefix } from '@socketworks/protocol';
import {
  checkRedis,
  createMetricsRegistry,
  createRedisConnection,
  describeError,
  quitRedis,
  RepeatedErrors,
  startOpsServer,
  type Logger,
  type OpsServer,
  type Registry,
} from '@socketworks/runtime';
import { loadAppModule, type RegisterFn } from './app-module';
import type { ServedQueue, WorkerConfig } from './config';
import { WorkerError } from './errors';
import { createWorkerMetrics, type JobOutcome, type WorkerMetrics } from './metrics';
import { createProcessor } from './process-job';
import { ReadableWorker } from './readable-worker';
import { SyncReplier } from './sync-reply';

export interface WorkerDeps {
  logger: Logger;
  /** @defaultValue a new registry for service `worker` */
  registry?: Registry;
  /** The environment the app's `register` gets. @defaultValue {} */
  appEnv?: Readonly<Record<string, string | undefined>>;
  /** The app's register function. @defaultValue loaded from `config.APP_MODULE` */
  register?: RegisterFn;
}

export interface RunningWorker {
  app: App;
  registry: Registry;
  metrics: WorkerMetrics;
  opsPort: number;
  /** Stops taking jobs, lets running ones finish, then closes connections and the ops server. */
  stop(): Promise<void>;
}

interface Served {
  name: ServedQueue;
  worker: Worker;
  connection: RedisClient;
  /** Jobs of this queue whose processor is running here. */
  running: RunningJobs;
}

/**
 * Once a queue's last job here is done, how long its BullMQ Worker gets to close its connections.
 * BullMQ's close waits for its blocking connection to end, and an ioredis connection between
 * reconnect attempts (Redis unreachable) never does: past this the stop goes on without it.
 */
const CLOSE_AFTER_JOBS_MS = 2000;

/** Counts running processor calls; `whenIdle` resolves once none runs. */
class RunningJobs {
  private count = 0;
  private idle: Array<() => void> = [];

  async track<T>(work: () => Promise<T>): Promise<T> {
    this.count += 1;
    try {
      return await work();
    } finally {
      this.count -= 1;
      if (this.count === 0) for (const done of this.idle.splice(0)) done();
    }
  }

  whenIdle(): Promise<void> {
    return this.count === 0 ? Promise.resolve() : new Promise((resolve) => this.idle.push(resolve));
  }
}

export async function startWorker(config: WorkerConfig, deps: WorkerDeps): Promise<RunningWorker> {
  const { logger } = deps;
  const registry = deps.registry ?? createMetricsRegistry('worker');
  const metrics = createWorkerMetrics(registry);

  // Job state (recorded effects, rate-limit pauses, response_url uses) and installations: short
  // command retries, reconnecting forever. Closed last, after running jobs drained. A few commands
  // per Web API call from every job running at once: one write per turn carries many of them.
  const stateRedis = createRedisConnection(config.REDIS_URL, { cluster: config.REDIS_CLUSTER, role: 'command', name: 'worker:state', logger, coalesceWrites: true });
  const app = new App({
    logger,
    ...(config.SLACK_INSTALLATION_STORE === 'redis'
      ? { installationStore: new RedisInstallationStore({ redis: stateRedis, keyPrefix: config.QUEUE_PREFIX }) }
      : { token: config.SLACK_BOT_TOKEN }),
    redis: stateRedis,
    keyPrefix: config.QUEUE_PREFIX,
    effectsTtlSeconds: config.QUEUE_DEDUPE_WINDOW_SECONDS,
    slackApiUrl: config.SLACK_API_URL,
    onRateLimited: ({ method, retryAfterSeconds }) => {
      metrics.rateLimited.inc({ method });
      logger.warn({ method, retry_after_seconds: retryAfterSeconds }, 'Slack rate limited a Web API call; the method is paused for the team and the job delayed');
    },
    // The framework logs each one (with the job's bindings); this counts them.
    onReplayMismatch: ({ method }) => metrics.replayMismatches.inc({ method }),
  });
  const register = deps.register ?? loadAppModule(config.APP_MODULE);
  try {
    await register(app, { env: deps.appEnv ?? {} });
  } catch (err) {
    stateRedis.disconnect();
    throw new WorkerError('ERR_WORKER_APP_REGISTER', `the app's register function failed: ${describeError(err).message}`, { cause: err });
  }

  const served: Served[] = [];
  let stopping = false;
  const ops = await startOpsServer({
    port: config.METRICS_PORT,
    host: config.METRICS_HOST,
    registry,
    logger,
    readiness: () => {
      const queues = Object.fromEntries(served.map((s) => [s.name, s.worker.isRunning() && s.connection.status === 'ready']));
      return { ready: !stopping && served.length > 0 && Object.values(queues).every(Boolean), details: { queues } };
    },
  });
  logger.info({ port: ops.port }, 'ops server listening');

  // Only sync jobs carry a reply channel; its publisher exists when this process serves them.
  const sync = config.WORKER_QUEUES.some((q) => q.name === 'sync') ? new SyncReplier({ redisUrl: config.REDIS_URL, redisCluster: config.REDIS_CLUSTER, logger, metrics }) : undefined;
  try {
    for (const { name, concurrency } of config.WORKER_QUEUES) {
      served.push(serveQueue(config, name, concurrency, { app, logger, metrics, ...(sync ? { sync } : {}) }));
    }
    await Promise.all(served.map((s) => s.worker.waitUntilReady()));
    await checkRedis(served[0]!.connection, logger);
  } catch (err) {
    await closeAll(served, ops, logger);
    await sync?.close();
    stateRedis.disconnect();
    throw err;
  }
  logger.info(
    { queues: served.map((s) => s.name), concurrency: Object.fromEntries(config.WORKER_QUEUES.map((q) => [q.name, q.concurrency])) },
    'worker ready',
  );

  return {
    app,
    registry,
    metrics,
    opsPort: ops.port,
    stop: async () => {
      // Order: readiness goes false first (no new traffic is routed here), then every Worker
      // closes — it takes no new jobs and waits for the running ones to finish — then the queue
      // connections, then the ops server (after the drain, so /metrics can be scraped while jobs
      // finish), and only then the sync replier and the job-state connection.
      stopping = true;
      await closeAll(served, ops, logger);
      // Last: jobs still draining above may publish their ack answers and record their effects.
      await sync?.close();
      await quitRedis(stateRedis, 'worker:state', logger);
    },
  };
}

function serveQueue(
  config: WorkerConfig,
  name: ServedQueue,
  concurrency: number,
  parts: { app: App; logger: Logger; metrics: WorkerMetrics; sync?: SyncReplier },
): Served {
  const { logger, metrics } = parts;
  // A connection of its own per queue, so queues never wait on each other: BullMQ moves jobs on it
  // (take, finish, renew locks; the moves of concurrent jobs in one turn share a write) and
  // duplicates it for its blocking reads.
  const connection = createRedisConnection(config.REDIS_URL, { cluster: config.REDIS_CLUSTER, role: 'blocking', name: `worker:${name}`, logger, coalesceWrites: true });
  const running = new RunningJobs();
  const processor = createProcessor({ ...parts, queue: name });
  const worker = new ReadableWorker(name, (job, token) => running.track(() => processor(job, token)), {
    connection,
    prefix: bullPrefix(config.QUEUE_PREFIX),
    concurrency,
    lockDuration: config.WORKER_LOCK_DURATION_MS,
    maxStalledCount: config.WORKER_MAX_STALLED_COUNT,
    stalledInterval: config.WORKER_STALLED_INTERVAL_MS,
    autorun: true,
  });
  // BullMQ repeats connection errors on every reconnect attempt; one line per distinct error.
  const errors = new RepeatedErrors();
  worker.on('error', (err) => {
    const described = errors.fresh(err);
    if (described) logger.warn({ queue: name, err: described }, 'queue worker error');
  });
  worker.on('completed', (job: Job) => {
    errors.reset();
    metrics.jobs.inc({ queue: name, outcome: 'completed' });
    // The job will not run again: its recorded effects can go (else they expire with the dedupe window).
    if (job.id) {
      parts.app.forgetJob(job.id).catch((err: unknown) => logger.warn({ queue: name, job_id: job.id, err: describeError(err) }, 'could not drop a completed job\'s effect record; it expires by itself'));
    }
  });
  worker.on('failed', (job: Job | undefined, err: Error) => {
    // BullMQ sets finishedOn only when the job will not run again (attempts used up, or
    // UnrecoverableError); otherwise it is back in the delayed set for a retry.
    const outcome: JobOutcome = job && !job.finishedOn ? 'retried' : 'failed';
    metrics.jobs.inc({ queue: name, outcome });
    const data = (job?.data ?? {}) as { envelope_id?: unknown; payload?: { event_id?: unknown } };
    const fields = {
      queue: name,
      job_id: job?.id,
      ...(typeof data.envelope_id === 'string' ? { envelope_id: data.envelope_id } : {}),
      ...(typeof data.payload?.event_id === 'string' ? { event_id: data.payload.event_id } : {}),
      attempts_made: job?.attemptsMade,
      max_attempts: job?.opts.attempts,
      err: describeError(err),
    };
    if (outcome === 'retried') logger.warn(fields, 'job failed; it will be retried');
    else logger.error(fields, 'job failed; no more attempts (in the failed set)');
  });
  worker.on('stalled', (jobId: string) => {
    logger.warn({ queue: name, job_id: jobId }, 'job stalled (its worker stopped renewing the lock); it runs again or fails');
  });
  return { name, worker, connection, running };
}

async function closeAll(served: Served[], ops: OpsServer, logger: Logger): Promise<void> {
  await Promise.all(served.map((s) => closeServed(s, logger)));
  for (const s of served) s.connection.disconnect();
  await ops.close();
}

/** Takes no new job, waits for the running ones, then closes the Worker, bounded once they are done. */
async function closeServed(s: Served, logger: Logger): Promise<void> {
  const closed = s.worker.close().then(
    () => true,
    (err: unknown) => {
      // Going on is safe: the process is stopping; jobs that did not finish are stalled and run again.
      logger.error({ queue: s.name, err: describeError(err) }, 'closing the queue worker failed');
      return true;
    },
  );
  let timer: NodeJS.Timeout | undefined;
  const givenUp = s.running.whenIdle().then(() => new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), CLOSE_AFTER_JOBS_MS))));
  const done = await Promise.race([closed, givenUp]);
  clearTimeout(timer);
  if (!done) {
    // Going on is safe: a job whose result could not be written is stalled and runs again.
    logger.warn(
      { queue: s.name, waited_ms: CLOSE_AFTER_JOBS_MS, redis_status: s.connection.status },
      'queue worker still closing after its jobs finished (Redis unreachable?): stopping without it',
    );
  }
}
