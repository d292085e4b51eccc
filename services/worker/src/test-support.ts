// Shared by this service's load and fault tests (excluded from the build): jobs added the way the
// connector adds them, a test app module on disk, and reading a queue's outcome.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { bullPrefix, routeEnvelope, toJobData, type Envelope, type SlackJobData } from '@socketworks/protocol';
import { createLogger, type Logger } from '@socketworks/runtime';
import { appMentionPayload } from '@socketworks/slack-sim';
import { JsonLineCollector, type LogLine } from '@socketworks/testing';
import { loadWorkerConfig, type WorkerConfig } from './config';

export interface BulkJob {
  name: string;
  data: SlackJobData;
  opts: { jobId: string };
}

/** An app_mention job exactly as the connector enqueues it (job id `ev-<event_id>`). */
export function mentionJob(text: string, options: { channel?: string; teamId?: string } = {}): BulkJob {
  const payload = appMentionPayload({ text, ...(options.channel ? { channel: options.channel } : {}) });
  if (options.teamId) Object.assign(payload, { team_id: options.teamId, context_team_id: options.teamId, authorizations: [] });
  const envelope: Envelope = {
    type: 'events_api',
    envelope_id: `env-${String(payload.event_id)}`,
    payload,
    accepts_response_payload: false,
    retry_attempt: 0,
    retry_reason: '',
  };
  const route = routeEnvelope(envelope);
  return { name: 'events_api', data: toJobData(envelope, { delivery: 'socket', receivedAt: Date.now() }), opts: { jobId: route.jobId } };
}

/** A queue handle for a test, with the error listener every emitter gets. */
export function testQueue(name: string, connection: Redis, queuePrefix: string, onError: (err: Error) => void): Queue {
  const queue = new Queue(name, { connection, prefix: bullPrefix(queuePrefix) });
  queue.on('error', onError);
  return queue;
}

/**
 * An app that answers each app_mention in its thread with `answer: <text>`, then lingers
 * `TEST_APP_LINGER_MS` before its run ends (so a kill lands between the answer and the job's end).
 */
export const ANSWERING_APP = `
module.exports = function register(app, { env }) {
  const linger = Number(env.TEST_APP_LINGER_MS || '0');
  app.event('app_mention', async ({ event, say }) => {
    await say({ text: 'answer: ' + event.text, thread_ts: event.ts });
    if (linger > 0) await new Promise((resolve) => setTimeout(resolve, linger));
  });
};
`;

export async function writeApp(dir: string, source: string = ANSWERING_APP): Promise<string> {
  const file = join(dir, 'answering-app.js');
  await writeFile(file, source);
  return file;
}

/** Successful chat.postMessage calls per text, for "answered exactly once" checks. */
export function countByText(calls: ReadonlyArray<{ ok: boolean; args: Record<string, unknown> }>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const c of calls) {
    if (!c.ok) continue;
    const text = String(c.args.text);
    counts.set(text, (counts.get(text) ?? 0) + 1);
  }
  return counts;
}

/**
 * The config of a worker running in the test's process: the simulator's API, the test Redis under
 * the test's prefix, the ops server on a free loopback port. `env` adds to it (the token, or
 * SLACK_INSTALLATION_STORE) and may override any of it.
 */
export function testWorkerConfig(options: { apiUrl: string; redisUrl: string; prefix: string; queues: string; env?: Record<string, string> }): WorkerConfig {
  return loadWorkerConfig({
    SLACK_API_URL: options.apiUrl,
    REDIS_URL: options.redisUrl,
    QUEUE_PREFIX: options.prefix,
    METRICS_PORT: '0',
    METRICS_HOST: '127.0.0.1',
    WORKER_QUEUES: options.queues,
    ...options.env,
  });
}

/** A logger whose every line is kept, parsed, in `lines`; `secrets` are censored as in production. */
export function capturingLogger(options: { level?: string; secrets?: string[] } = {}): { logger: Logger; lines: LogLine[] } {
  const collector = new JsonLineCollector();
  const logger = createLogger({ name: 'worker', level: options.level ?? 'debug', destination: collector.writable(), ...(options.secrets ? { secrets: options.secrets } : {}) });
  return { logger, lines: collector.lines };
}
