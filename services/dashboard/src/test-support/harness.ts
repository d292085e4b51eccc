// Test support (not built into dist): the dashboard running in this process against the real test
// Redis under a fresh queue prefix, with its logs captured; producers and a failing worker of the
// test's own to put jobs in every state.
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { bullPrefix, QUEUE_NAMES, type QueueName, type SlackJobData } from '@socketworks/protocol';
import { createLogger, createQueues, type Logger } from '@socketworks/runtime';
import { deleteKeys, getTestRedisUrl, JsonLineCollector, uniquePrefix, waitFor, type LogLine } from '@socketworks/testing';
import { loadDashboardConfig, type DashboardConfig } from '../config';
import { startDashboard, type RunningDashboard } from '../dashboard';
import type { LoginThrottleOptions } from '../http/login-throttle';

export const TEST_USER = 'operator';
export const TEST_PASSWORD = 'test-password-7f3a91';
export const TEST_TOKEN = 'test-bearer-token-0c5e8d2b41';

export type CapturedLine = LogLine;

export interface LogCapture {
  logger: Logger;
  lines: CapturedLine[];
  /** Every line as written (after censoring), for searching secrets. */
  raw: string[];
}

export function captureLogs(secrets: string[]): LogCapture {
  const collector = new JsonLineCollector();
  return { logger: createLogger({ name: 'dashboard', level: 'debug', destination: collector.writable(), secrets }), lines: collector.lines, raw: collector.raw };
}

export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

export const GOOD_AUTH = basicAuth(TEST_USER, TEST_PASSWORD);

export interface TestDashboard {
  dashboard: RunningDashboard;
  config: DashboardConfig;
  logs: LogCapture;
  url: string;
  prefix: string;
  redisUrl: string;
  /** Queues through a connection of the test's own (a producer, as the connector is). */
  queues: Record<QueueName, Queue>;
  /** GET/POST with the right credentials; `init.headers` add to or replace them. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

export interface TestDashboardOptions {
  name: string;
  /** Dashboard environment on top of the harness's (credentials, Redis, prefix, port 0 on loopback). */
  env?: Record<string, string>;
  redisUrl?: string;
  /** Share another dashboard's prefix (to look at the same queues in another mode). */
  prefix?: string;
  /** Throttling of failed logins (a tiny back-off, or a limit the test never reaches). */
  loginThrottle?: LoginThrottleOptions;
}

export async function startTestDashboard(options: TestDashboardOptions): Promise<TestDashboard> {
  const redisUrl = options.redisUrl ?? (await getTestRedisUrl());
  const prefix = options.prefix ?? uniquePrefix(options.name);
  const config = loadDashboardConfig({
    DASHBOARD_PORT: '0',
    DASHBOARD_HOST: '127.0.0.1',
    DASHBOARD_USER: TEST_USER,
    DASHBOARD_PASSWORD: TEST_PASSWORD,
    DASHBOARD_TOKEN: TEST_TOKEN,
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: prefix,
    ...options.env,
  });
  const logs = captureLogs([TEST_PASSWORD, TEST_TOKEN]);
  const dashboard = await startDashboard(config, { logger: logs.logger, loginThrottle: options.loginThrottle });
  const producer = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  producer.on('error', () => undefined);
  const queues = createQueues(producer, { prefix });
  for (const queue of Object.values(queues)) queue.on('error', () => undefined);
  const url = `http://127.0.0.1:${dashboard.port}`;
  return {
    dashboard,
    config,
    logs,
    url,
    prefix,
    redisUrl,
    queues,
    fetch: (path, init = {}) => {
      const headers = new Headers(init.headers);
      if (!headers.has('authorization')) headers.set('authorization', GOOD_AUTH);
      return fetch(`${url}${path}`, { redirect: 'manual', ...init, headers });
    },
    close: async () => {
      await dashboard.stop();
      await Promise.all(Object.values(queues).map((q) => q.close()));
      producer.disconnect();
      if (!options.prefix) await deleteKeys(redisUrl, `${bullPrefix(prefix)}:*`);
    },
  };
}

export interface EventJobOptions {
  eventId: string;
  envelopeId: string;
  text?: string;
  /** Extra payload fields (the redaction tests add secrets here). */
  payload?: Record<string, unknown>;
}

/** Job data as the connector stores an `events_api` envelope. */
export function eventJobData(options: EventJobOptions): SlackJobData {
  return {
    v: 1,
    type: 'events_api',
    envelope_id: options.envelopeId,
    payload: {
      team_id: 'T0000001',
      api_app_id: 'A0000001',
      type: 'event_callback',
      event_id: options.eventId,
      event_time: 1700000060,
      event: { type: 'message', text: options.text ?? 'hello bot', user: 'U0000001', channel: 'D0000001', ts: '1700000060.000200' },
      authorizations: [{ team_id: 'T0000001', user_id: 'U0000002', is_bot: true }],
      ...options.payload,
    },
    accepts_response_payload: false,
    retry_attempt: 0,
    retry_reason: '',
    received_at: Date.now(),
    delivery: 'socket',
    slot: 0,
    connection_id: 'conn-test',
  };
}

export function commandJobData(envelopeId: string): SlackJobData {
  return {
    v: 1,
    type: 'slash_commands',
    envelope_id: envelopeId,
    payload: { team_id: 'T0000001', command: '/deploy', text: 'api production', user_id: 'U0000001', channel_id: 'C0000001' },
    accepts_response_payload: true,
    retry_attempt: 0,
    retry_reason: '',
    received_at: Date.now(),
    delivery: 'socket',
  };
}

/**
 * Runs a real BullMQ Worker on `queue` that fails every job with `reason(job)` until `count` jobs of
 * the queue are in the failed set, then closes it. Jobs added with `attempts: 1` fail at once.
 */
export async function failJobs(t: TestDashboard, queue: QueueName, count: number, reason: (job: Job) => string = () => 'handler failed'): Promise<void> {
  await runJobsUntil(t, queue, 'failed', count, async (job) => {
    throw new Error(reason(job));
  });
}

/** Runs a real BullMQ Worker on `queue` that completes every job until `count` jobs of the queue are completed, then closes it. */
export async function completeJobs(t: TestDashboard, queue: QueueName, count: number): Promise<void> {
  await runJobsUntil(t, queue, 'completed', count, async () => 'done');
}

/** A real BullMQ Worker on `queue` running `processor` until the queue holds `count` jobs in `state`. */
async function runJobsUntil(t: TestDashboard, queue: QueueName, state: 'failed' | 'completed', count: number, processor: (job: Job) => Promise<unknown>): Promise<void> {
  const connection = new Redis(t.redisUrl, { maxRetriesPerRequest: null });
  connection.on('error', () => undefined);
  const worker = new Worker(queue, processor, { connection, prefix: bullPrefix(t.prefix), concurrency: 4 });
  worker.on('error', () => undefined);
  try {
    await waitFor(async () => (await t.queues[queue].getJobCountByTypes(state)) >= count, { timeoutMs: 10000, message: `${count} ${state} jobs in ${queue}` });
  } finally {
    await worker.close();
    connection.disconnect();
  }
}

/** Every queue name, for loops in assertions. */
export { QUEUE_NAMES };

/** Reads one sample from Prometheus text (shared with the other services' tests). */
export { sample } from '@socketworks/testing';
