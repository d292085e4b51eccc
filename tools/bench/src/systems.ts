// The systems under test, each as real processes: the simulator host; Socketworks (connector
// replicas and workers, the built services, configured only through their env variables and
// watched only through their log lines and /metrics); and the Bolt reference app.
import { resolve } from 'node:path';
import { DEMO_APP_TOKEN, DEMO_BOT_TOKEN, SERVICE_ENTRIES, spawnService, waitFor, type ServiceProcess } from '@socketworks/testing';
import { parseAckHistogram, sumHistograms, type AckHistogram } from './connector-acks';
import { BenchError, forkChild, type ForkedChild } from './ipc';
import type { ProcessRegistry } from './processes';
import type { ProcessSampler } from './sampler';
import type { SimHostReady } from './sim-host';
import { loopDelayMs } from './stats';

/** Built entry points of this package (the same path from src/ under tsx and from dist/). */
export const BENCH_DIST = resolve(__dirname, '..', 'dist');
export const ENTRIES = {
  simHost: resolve(BENCH_DIST, 'sim-host.js'),
  boltApp: resolve(BENCH_DIST, 'bolt-app.js'),
  benchApp: resolve(BENCH_DIST, 'bench-app.js'),
  ceiling: resolve(BENCH_DIST, 'enqueue-ceiling.js'),
} as const;

/** SIGTERM → SIGKILL grace when a system run is over. */
const STOP_GRACE_MS = 1000;

export interface EventLoopLag {
  p99: number;
  max: number;
}

export interface Context {
  registry: ProcessRegistry;
  sampler: ProcessSampler;
}

export type SimHost = ForkedChild<SimHostReady>;

export async function startSimHost(ctx: Context): Promise<SimHost> {
  const sim = await forkChild<SimHostReady>({
    name: 'sim',
    entry: ENTRIES.simHost,
    env: {},
    onSpawn: (child) => ctx.registry.add('sim', child),
  });
  ctx.sampler.trackPid('sim', sim.pid);
  return sim;
}

export async function stopSimHost(ctx: Context, sim: SimHost): Promise<void> {
  try {
    await sim.call('close', undefined, 10000);
  } catch {
    // Already gone or stuck: the registry's SIGTERM/SIGKILL below ends it either way.
  }
  await ctx.registry.stop(sim.child, 3000);
}

/** Warn/error lines a service logged (counts and the first distinct messages): part of "why". */
export interface LogSummary {
  warn: number;
  error: number;
  messages: string[];
}

/** Warn/error lines from line `from` on (lines before it belong to the start-up and the warm-up). */
export function summarizeLogs(proc: ServiceProcess, from = 0): LogSummary {
  const out: LogSummary = { warn: 0, error: 0, messages: [] };
  for (const line of proc.logs.slice(from)) {
    // createLogger writes the level as its label.
    const level = line.level;
    const isWarn = level === 'warn';
    const isError = level === 'error' || level === 'fatal';
    if (!isWarn && !isError) continue;
    if (isWarn) out.warn += 1;
    else out.error += 1;
    const msg = String(line.msg ?? '');
    if (out.messages.length < 5 && !out.messages.includes(msg)) out.messages.push(msg);
  }
  return out;
}

export interface RunningSystem {
  /** From now on `logs()` counts only new lines. */
  markLogs(): void;
  /** Warn/error log lines of each service since the last `markLogs()`. */
  logs(): Record<string, LogSummary>;
  /** Event-loop delay of each process since the last call (each process resets on read). */
  lag(): Promise<Record<string, EventLoopLag>>;
  /** Socketworks: the connectors' ack-latency histograms, summed (cumulative since each started). */
  connectorAcks?(): Promise<AckHistogram>;
  stop(): Promise<void>;
  /** Open sockets the system holds once started. */
  sockets: number;
}

export interface SocketworksOptions {
  redisUrl: string;
  queuePrefix: string;
  connectors: number;
  /** SLACK_CONNECTIONS, the same on every replica: the slots they share through Redis leases. */
  slackConnections: number;
  workers: number;
  /** Extra env for workers (WORKER_QUEUES, BENCH_HANDLER_*); APP_MODULE is the bench app when a handler cost is set. */
  workerEnv?: Record<string, string>;
  /** Env of worker k on top of `workerEnv`: entry k mod length (one WORKER_QUEUES per worker). */
  perWorkerEnv?: Array<Record<string, string>> | undefined;
  /** Use the bench app module (handler cost from workerEnv) instead of the bundled example app. */
  benchAppModule?: boolean;
}

const LAG_P99 = /^socketworks_nodejs_eventloop_lag_p99_seconds(?:\{[^}]*\})?\s+([0-9.eE+-]+)/m;
const LAG_MAX = /^socketworks_nodejs_eventloop_lag_max_seconds(?:\{[^}]*\})?\s+([0-9.eE+-]+)/m;

/** Event-loop lag from a service's /metrics (prom-client resets its histogram on every scrape). */
async function scrapeLag(port: number): Promise<EventLoopLag> {
  const text = await metricsText(port);
  const num = (re: RegExp) => loopDelayMs(Number(re.exec(text)?.[1] ?? NaN) * 1e9);
  return { p99: num(LAG_P99), max: num(LAG_MAX) };
}

async function metricsText(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5000) });
  return res.text();
}

function portOf(proc: ServiceProcess): Promise<number> {
  return proc
    .waitForLog((l) => l.msg === 'ops server listening' && typeof l.port === 'number', { timeoutMs: 20000, message: `${proc.name}'s ops port` })
    .then((l) => l.port as number);
}

function common(options: { redisUrl: string; queuePrefix: string }, apiUrl: string): Record<string, string> {
  return {
    REDIS_URL: options.redisUrl,
    QUEUE_PREFIX: options.queuePrefix,
    SLACK_API_URL: apiUrl,
    LOG_LEVEL: 'info',
    METRICS_PORT: '0',
    METRICS_HOST: '127.0.0.1',
  };
}

/** The env of worker `index` (0-based) beyond what every worker gets. */
export function workerEnvAt(options: Pick<SocketworksOptions, 'perWorkerEnv'>, index: number): Record<string, string> {
  const list = options.perWorkerEnv;
  return list && list.length > 0 ? list[index % list.length]! : {};
}

export async function startWorkers(ctx: Context, sim: SimHost, options: SocketworksOptions, first = 1): Promise<Array<{ proc: ServiceProcess; port: number }>> {
  const env = {
    ...common(options, sim.ready.apiUrl),
    SLACK_BOT_TOKEN: DEMO_BOT_TOKEN,
    ...(options.benchAppModule ? { APP_MODULE: ENTRIES.benchApp } : {}),
    ...options.workerEnv,
  };
  return Promise.all(
    Array.from({ length: options.workers }, async (_, k) => {
      const name = `worker-${first + k}`;
      const proc = spawnService({ name, entry: SERVICE_ENTRIES.worker, env: { ...env, ...workerEnvAt(options, first - 1 + k) } });
      ctx.registry.add(name, proc.child);
      ctx.sampler.trackPid(name, proc.child.pid ?? 0);
      await waitForServiceLog(proc, 'worker ready');
      return { proc, port: await portOf(proc) };
    }),
  );
}

async function waitForServiceLog(proc: ServiceProcess, msg: string): Promise<void> {
  try {
    await waitFor(() => proc.exited() || proc.logs.some((l) => l.msg === msg), { timeoutMs: 20000, message: `${proc.name}: ${msg}` });
  } catch (err) {
    throw new BenchError('ERR_BENCH_SERVICE_START', `${proc.name} did not log '${msg}'\n${proc.output().slice(-2000)}`, { cause: err });
  }
  if (proc.exited()) throw new BenchError('ERR_BENCH_SERVICE_START', `${proc.name} exited at start\n${proc.output().slice(-2000)}`);
}

export async function startConnectors(ctx: Context, sim: SimHost, options: SocketworksOptions): Promise<Array<{ proc: ServiceProcess; port: number }>> {
  const env = { ...common(options, sim.ready.apiUrl), SLACK_APP_TOKEN: DEMO_APP_TOKEN, SLACK_CONNECTIONS: String(options.slackConnections) };
  return Promise.all(
    Array.from({ length: options.connectors }, async (_, k) => {
      const name = `connector-${k + 1}`;
      const proc = spawnService({ name, entry: SERVICE_ENTRIES.connector, env });
      ctx.registry.add(name, proc.child);
      ctx.sampler.trackPid(name, proc.child.pid ?? 0);
      await waitForServiceLog(proc, 'connector started');
      return { proc, port: await portOf(proc) };
    }),
  );
}

/** Waits until `min` sockets are open and the count stayed put for a moment; returns the count. */
export async function waitForSockets(sim: SimHost, min: number): Promise<number> {
  const open = await sim.call<number>('waitSockets', { min, timeoutMs: 20000, stableMs: 300 }, 30000);
  if (open < 1) throw new BenchError('ERR_BENCH_NO_SOCKET', 'the system under test opened no socket to the simulator');
  return open;
}

/** Connectors (and workers, when `options.workers` > 0) of one Socketworks deployment. */
export async function startSocketworks(ctx: Context, sim: SimHost, options: SocketworksOptions): Promise<RunningSystem> {
  const [workers, connectors] = await Promise.all([
    options.workers > 0 ? startWorkers(ctx, sim, options) : Promise.resolve([]),
    startConnectors(ctx, sim, options),
  ]);
  const all = [...connectors, ...workers];
  const sockets = await waitForSockets(sim, options.slackConnections);
  const marks = new Map<string, number>();
  return {
    sockets,
    connectorAcks: async () => sumHistograms(await Promise.all(connectors.map(async ({ port }) => parseAckHistogram(await metricsText(port))))),
    markLogs: () => {
      for (const { proc } of all) marks.set(proc.name, proc.logs.length);
    },
    logs: () => Object.fromEntries(all.map(({ proc }) => [proc.name, summarizeLogs(proc, marks.get(proc.name) ?? 0)])),
    lag: async () => {
      const out: Record<string, EventLoopLag> = {};
      await Promise.all(
        all.map(async ({ proc, port }) => {
          try {
            out[proc.name] = await scrapeLag(port);
          } catch {
            out[proc.name] = { p99: NaN, max: NaN };
          }
        }),
      );
      return out;
    },
    // The measurement is over: SIGTERM everything at once, SIGKILL after a short grace (replicas
    // stopping together would otherwise hand their slots to each other first). Redis is flushed
    // after every run, so nothing a hard stop leaves behind survives.
    stop: async () => {
      await Promise.all(all.map(({ proc }) => ctx.registry.stop(proc.child, STOP_GRACE_MS)));
    },
  };
}

export interface BoltOptions {
  handlerEnv?: Record<string, string>;
}

export async function startBolt(ctx: Context, sim: SimHost, options: BoltOptions = {}): Promise<RunningSystem> {
  const bolt = await forkChild<{ started: boolean }>({
    name: 'bolt',
    entry: ENTRIES.boltApp,
    env: { SLACK_API_URL: sim.ready.apiUrl, SLACK_APP_TOKEN: DEMO_APP_TOKEN, SLACK_BOT_TOKEN: DEMO_BOT_TOKEN, ...options.handlerEnv },
    onSpawn: (child) => ctx.registry.add('bolt', child),
  });
  ctx.sampler.trackPid('bolt', bolt.pid);
  const sockets = await waitForSockets(sim, 1);
  return {
    sockets,
    markLogs: () => undefined,
    logs: () => ({}),
    lag: async () => {
      try {
        return { bolt: await bolt.call<EventLoopLag>('lag', undefined, 10000) };
      } catch {
        return { bolt: { p99: NaN, max: NaN } };
      }
    },
    stop: async () => {
      try {
        await bolt.call('stop', undefined, 5000);
      } catch {
        // Not answering: the registry's signals end it.
      }
      await ctx.registry.stop(bolt.child, 5000);
    },
  };
}
