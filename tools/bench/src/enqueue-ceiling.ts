// Child process: how many BullMQ enqueues one Redis accepts on this machine, with no sockets in
// the way. The job is the connector's: an app_mention envelope through `toJobData`, job id
// `ev-<event_id>`, the product's queues and default job options (`createQueues`), an EXISTS
// pipelined before each add on the same producer connection, as the connector's ingestor does.
// Several producers (async loops) share the connection, as the connector's envelopes do.
import { once } from 'node:events';
import { pino } from 'pino';
import { routeEnvelope, toJobData, type Envelope } from '@socketworks/protocol';
import { createQueues, createRedisConnection } from '@socketworks/runtime';
import { EnvelopeFactory } from './envelopes';
import { announceReady, serveCommands } from './ipc';

export interface CeilingArgs {
  redisUrl: string;
  queuePrefix: string;
  /** Concurrent producers (each awaits its add before the next). */
  producers: number;
  durationMs: number;
}

export interface CeilingResult {
  producers: number;
  added: number;
  durationMs: number;
  jobsPerSecond: number;
}

async function measure(args: CeilingArgs): Promise<CeilingResult> {
  const logger = pino({ level: 'silent' });
  const redis = createRedisConnection(args.redisUrl, { role: 'producer', name: 'bench-ceiling', logger, overrides: { commandTimeout: 1500 } });
  const queues = createQueues(redis, { prefix: args.queuePrefix });
  for (const q of Object.values(queues)) q.on('error', () => undefined);
  const factory = new EnvelopeFactory('events');
  let seq = 0;
  let added = 0;
  try {
    // A producer connection has no offline queue: commands before 'ready' fail at once.
    if (redis.status !== 'ready') await once(redis, 'ready');
    const start = performance.now();
    const end = start + args.durationMs;
    const producer = async () => {
      while (performance.now() < end) {
        const i = seq++;
        const input = factory.make(i);
        const envelope: Envelope = {
          type: 'events_api',
          envelope_id: `bench-${i}`,
          payload: input.payload,
          accepts_response_payload: false,
          retry_attempt: 0,
          retry_reason: '',
        } as Envelope;
        const route = routeEnvelope(envelope, { syncLane: false });
        const queue = queues[route.queue];
        const data = toJobData(envelope, { delivery: 'socket', receivedAt: Date.now(), slot: 0, connectionId: 'bench' });
        const existed = redis.exists(queue.toKey(route.jobId)).catch(() => 0);
        await queue.add('app_mention', data, { jobId: route.jobId });
        await existed;
        added += 1;
      }
    };
    await Promise.all(Array.from({ length: args.producers }, producer));
    const durationMs = performance.now() - start;
    return { producers: args.producers, added, durationMs: Math.round(durationMs), jobsPerSecond: Math.round((added * 1000) / durationMs) };
  } finally {
    await Promise.all(Object.values(queues).map((q) => q.close()));
    redis.disconnect();
  }
}

serveCommands(
  {
    measure: (args) => measure(args as CeilingArgs),
    exit: () => {
      setImmediate(() => process.exit(0));
      return true;
    },
  },
  () => process.exit(0),
);
announceReady({ pid: process.pid });
