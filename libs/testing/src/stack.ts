// The whole product as real processes: the simulator, connectors and workers, each the built
// service a user runs. Used by the demo, the end-to-end tests and the benchmark.
import { join, resolve } from 'node:path';
import { freePort } from './ports';
import { spawnService, type ServiceProcess } from './processes';

/** The repository root, from this file's place in libs/testing/{src,dist}. */
export const REPO_ROOT = resolve(__dirname, '../../..');

export const SERVICE_ENTRIES = {
  sim: join(REPO_ROOT, 'services/slack-sim/dist/main.js'),
  connector: join(REPO_ROOT, 'services/connector/dist/main.js'),
  worker: join(REPO_ROOT, 'services/worker/dist/main.js'),
  dashboard: join(REPO_ROOT, 'services/dashboard/dist/main.js'),
} as const;

export const DEMO_APP_TOKEN = 'xapp-1-A0000001-0000000001-demodemodemodemodemo';
export const DEMO_BOT_TOKEN = 'xoxb-0000000001-0000000001-demodemodemodemodemo';

export interface SimProcess extends ServiceProcess {
  port: number;
  apiUrl: string;
  controlUrl: string;
}

export interface StartSimOptions {
  port?: number;
  env?: Record<string, string>;
  echo?: boolean;
}

export async function startSimProcess(options: StartSimOptions = {}): Promise<SimProcess> {
  const port = options.port ?? (await freePort());
  const proc = spawnService({
    name: 'slack-sim',
    entry: SERVICE_ENTRIES.sim,
    env: { SIM_PORT: String(port), LOG_LEVEL: 'warn', ...options.env },
    echo: options.echo ?? false,
  });
  await proc.waitForLog((l) => l.msg === 'slack-sim listening', { timeoutMs: 15000, message: 'the simulator to listen' });
  return Object.assign(proc, {
    port,
    apiUrl: `http://127.0.0.1:${port}/api/`,
    controlUrl: `http://127.0.0.1:${port}/_sim`,
  });
}

export interface ServiceEnv {
  redisUrl: string;
  queuePrefix: string;
  slackApiUrl: string;
  logLevel?: string;
  env?: Record<string, string>;
  echo?: boolean;
  name?: string;
}

function commonEnv(options: ServiceEnv): Record<string, string> {
  return {
    REDIS_URL: options.redisUrl,
    QUEUE_PREFIX: options.queuePrefix,
    SLACK_API_URL: options.slackApiUrl,
    LOG_LEVEL: options.logLevel ?? 'info',
    METRICS_PORT: '0',
  };
}

/** A connector process; resolves once `count` sockets have received their hello. */
export async function startConnectorProcess(options: ServiceEnv & { sockets?: number }): Promise<ServiceProcess> {
  const proc = spawnService({
    name: options.name ?? 'connector',
    entry: SERVICE_ENTRIES.connector,
    env: { ...commonEnv(options), SLACK_APP_TOKEN: DEMO_APP_TOKEN, ...options.env },
    echo: options.echo ?? false,
  });
  const sockets = options.sockets ?? 1;
  await proc.waitForLog(() => proc.logs.filter((l) => l.msg === 'socket connected').length >= sockets, {
    timeoutMs: 20000,
    message: `${sockets} connector socket(s) to connect`,
  });
  return proc;
}

/** A worker process; resolves once its BullMQ workers run. */
export async function startWorkerProcess(options: ServiceEnv): Promise<ServiceProcess> {
  const proc = spawnService({
    name: options.name ?? 'worker',
    entry: SERVICE_ENTRIES.worker,
    env: { ...commonEnv(options), SLACK_BOT_TOKEN: DEMO_BOT_TOKEN, ...options.env },
    echo: options.echo ?? false,
  });
  await proc.waitForLog((l) => l.msg === 'worker ready', { timeoutMs: 20000, message: 'the worker to be ready' });
  return proc;
}

/** The port a service's ops server (/metrics, /healthz, /readyz) bound, from its log line. */
export async function opsPort(proc: ServiceProcess): Promise<number> {
  const line = await proc.waitForLog((l) => l.msg === 'ops server listening' && typeof l.port === 'number', { timeoutMs: 10000 });
  return line.port as number;
}

export interface DashboardProcess extends ServiceProcess {
  url: string;
}

/** A dashboard process on a free port; `env` must bring credentials or DASHBOARD_OPEN. */
export async function startDashboardProcess(options: Omit<ServiceEnv, 'slackApiUrl'>): Promise<DashboardProcess> {
  const proc = spawnService({
    name: options.name ?? 'dashboard',
    entry: SERVICE_ENTRIES.dashboard,
    env: {
      REDIS_URL: options.redisUrl,
      QUEUE_PREFIX: options.queuePrefix,
      LOG_LEVEL: options.logLevel ?? 'info',
      DASHBOARD_PORT: '0',
      DASHBOARD_HOST: '127.0.0.1',
      ...options.env,
    },
    echo: options.echo ?? false,
  });
  const line = await proc.waitForLog((l) => l.msg === 'dashboard listening', { timeoutMs: 20000, message: 'the dashboard to listen' });
  return Object.assign(proc, { url: String(line.url) });
}
