// The worker's whole configuration: one zod schema keyed by the variable names (README.md lists
// them), parsed once in main.ts. A missing or malformed variable stops the process naming the
// variable and the problem, never the value.
import { z } from 'zod';
import { DEFAULT_WORKER_QUEUES, parseQueueServing, QUEUE_NAMES, type QueueName, type QueueServing } from '@socketworks/protocol';
import { ConfigError, env, loadConfig, type ConfigProblem } from '@socketworks/runtime';

/**
 * Queues a worker can serve. `sync` is the lane whose answer goes into the ack (and which carries
 * the trigger_id kinds): a connector is waiting on it, so keep it served and never starved.
 */
export const SERVED_QUEUES = QUEUE_NAMES;
export type ServedQueue = QueueName;
export type { QueueServing };

/** `events:8,interactive:16` → [{ name, concurrency }]. Problems name the entry's position only. */
const workerQueues = z.preprocess(
  (v) => (v === '' || v === undefined ? DEFAULT_WORKER_QUEUES : v),
  z.string().transform((value, ctx): QueueServing[] => {
    const { queues, problems } = parseQueueServing(value);
    for (const message of problems) ctx.addIssue({ code: 'custom', message });
    return queues;
  }),
);

export const workerConfigSchema = z.object({
  /**
   * Bot token (`xoxb-…`) for the Web API; `context.botToken` and `client` use it. Never logged.
   * Required unless SLACK_INSTALLATION_STORE=redis (checked in loadWorkerConfig).
   */
  SLACK_BOT_TOKEN: env.token('xoxb-').optional(),
  /**
   * Where bot tokens come from: `token` = SLACK_BOT_TOKEN for every payload (one workspace);
   * `redis` = installations saved in Redis per team / enterprise (many workspaces, Enterprise
   * Grid; README "Many workspaces").
   */
  SLACK_INSTALLATION_STORE: z.preprocess((v) => (v === '' ? undefined : v), z.enum(['token', 'redis']).default('token')),
  /** Web API base; point it at the simulator in tests and the demo. */
  SLACK_API_URL: env.slackApiUrl(),
  /** Where the queues live. Never logged (it may carry a password). */
  REDIS_URL: env.redisUrl(),
  /** `true`: REDIS_URL is a seed node of a Redis Cluster (every key shares the prefix's hash tag). */
  REDIS_CLUSTER: env.bool(false),
  /** BullMQ key prefix; must be the connector's. Wrapped in a `{hash tag}` for Redis Cluster. */
  QUEUE_PREFIX: env.queuePrefix(),
  /**
   * The app: a package name (resolved from the current directory, then from the worker), or a
   * path to a built JS module, absolute or relative to the current directory.
   */
  APP_MODULE: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(1).default('@socketworks/example-app')),
  LOG_LEVEL: env.logLevel(),
  /** /metrics, /healthz, /readyz. 0 picks a free port (logged as `ops server listening`). */
  METRICS_PORT: env.port(9092),
  /** Interface the ops server binds. Tests and single-host setups use 127.0.0.1. */
  METRICS_HOST: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(1).default('0.0.0.0')),
  /** Which queues this process serves, each with its concurrency: `events:32,interactive:16,commands:16,sync:16`. */
  WORKER_QUEUES: workerQueues,
  /**
   * How long a job's lock lasts; BullMQ renews it every half of this while the handler runs. If
   * the process dies, its jobs become "stalled" and run again elsewhere after about this long.
   * Shorter = faster recovery; too short = an event loop blocked longer than this loses the lock
   * and the job runs twice. 30 s is BullMQ's default, kept on purpose.
   */
  WORKER_LOCK_DURATION_MS: env.int({ min: 5000, max: 600000, default: 30000 }),
  /**
   * How often a job may stall (its worker died or froze mid-run) before it is failed instead of
   * run again. 2 tolerates a crash plus a redeploy; a job that kills its worker every time stops
   * after 3 runs instead of taking down every pod in turn.
   */
  WORKER_MAX_STALLED_COUNT: env.int({ min: 0, max: 100, default: 2 }),
  /**
   * How often each worker looks for stalled jobs (locks that expired because their worker died).
   * A dead worker's jobs run again within WORKER_LOCK_DURATION_MS + this. BullMQ's default.
   */
  WORKER_STALLED_INTERVAL_MS: env.int({ min: 1000, max: 600000, default: 30000 }),
  /**
   * How long a job's recorded side effects (posts, responds, Web API calls) are kept, so a job
   * run again does not repeat them: the connector's dedupe window, the time a job id stays known.
   */
  QUEUE_DEDUPE_WINDOW_SECONDS: env.int({ min: 600, default: 3600 }),
  /**
   * SIGTERM budget: running jobs finish, then the process exits 0; past this it exits 1 and the
   * unfinished jobs are picked up again after WORKER_LOCK_DURATION_MS. Keep it under the
   * orchestrator's grace period (Kubernetes: 30 s by default).
   */
  WORKER_SHUTDOWN_TIMEOUT_MS: env.int({ min: 1000, max: 600000, default: 25000 }),
  /**
   * The process's CPU scheduling priority (Unix nice, 0–19; higher yields more). Where workers
   * share cores and a scheduling group with a connector (one container, one supervisor), 10 lets
   * the connector's acks go first when handlers keep the cores busy, at the cost of the workers'
   * own throughput (README "Sharing a host" has the measurement). Processes in cgroups of their own
   * (Kubernetes pods, compose services) weigh each other by CPU requests / shares instead. A worker
   * only lowers its priority, which needs no privilege.
   */
  WORKER_NICE: env.int({ min: 0, max: 19, default: 0 }),
});

export type WorkerConfig = Readonly<z.output<typeof workerConfigSchema>>;

/** Parses the environment once; throws `ConfigError` (code `ERR_CONFIG_INVALID`) naming each bad variable. */
export function loadWorkerConfig(source: NodeJS.ProcessEnv | Record<string, string | undefined>): WorkerConfig {
  // Across two variables, so checked here; reported together with the schema's problems.
  const tokenProblem: ConfigProblem | undefined =
    !source.SLACK_BOT_TOKEN && source.SLACK_INSTALLATION_STORE !== 'redis'
      ? { variable: 'SLACK_BOT_TOKEN', problem: 'is required (unless SLACK_INSTALLATION_STORE=redis)' }
      : undefined;
  let config: WorkerConfig;
  try {
    config = loadConfig(workerConfigSchema, source);
  } catch (err) {
    if (err instanceof ConfigError && tokenProblem) throw new ConfigError([tokenProblem, ...err.problems]);
    throw err;
  }
  if (tokenProblem) throw new ConfigError([tokenProblem]);
  return config;
}

/** Variables the app never sees: the worker's own secrets. The app gets its token via `context` / `client`. */
const WITHHELD_FROM_APP: ReadonlySet<string> = new Set(['SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN', 'SLACK_SIGNING_SECRET', 'REDIS_URL']);

/** The environment handed to the app's `register(app, { env })`: a frozen copy without the worker's secrets. */
export function appEnvironment(source: NodeJS.ProcessEnv | Record<string, string | undefined>): Readonly<Record<string, string | undefined>> {
  const out: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(source)) if (!WITHHELD_FROM_APP.has(key)) out[key] = value;
  return Object.freeze(out);
}
