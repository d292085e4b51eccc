// Wires the connector's parts in order (Redis → queues → ingestor → ops server → slots) and
// returns a handle whose stop() undoes them in the order that loses nothing. main.ts calls it
// with the parsed environment; tests call it in process with shorter timings.
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { QueueName } from '@socketworks/protocol';
import {
  checkRedis,
  createMetricsRegistry,
  createQueues,
  createRedisConnection,
  describeError,
  SocketworksError,
  startOpsServer,
  type OpsServer,
  type ReadyCheck,
  type Registry,
} from '@socketworks/runtime';
import type { ConnectorConfig } from './config';
import { EnvelopeIngestor } from './ingest/envelope-ingestor';
import { createConnectorMetrics, type ConnectorMetrics } from './metrics';
import { SlotManager } from './socket/slot-manager';
import { DEFAULT_SLOT_TIMINGS, type SlotTimings } from './socket/slot-runner';
import { SyncAnswers } from './sync/sync-answers';

export interface ConnectorDeps {
  logger: Logger;
  /** @defaultValue a new `createMetricsRegistry('connector')` */
  registry?: Registry;
  /** Shorter bounds for tests. @defaultValue {@link DEFAULT_SLOT_TIMINGS} */
  timings?: Partial<SlotTimings>;
  /** Envelopes between receipt and ack before sockets stop reading. @defaultValue 2000 */
  maxInFlight?: number;
  /** How long to wait for Redis at start before giving up (exit 1 in main). @defaultValue 10000 */
  redisStartupTimeoutMs?: number;
  /** Start the /metrics /healthz /readyz server on METRICS_PORT. @defaultValue true */
  opsServer?: boolean;
  /** Tests only. @defaultValue globalThis.fetch */
  fetch?: typeof fetch;
}

export interface Connector {
  readonly registry: Registry;
  readonly metrics: ConnectorMetrics;
  readonly slots: SlotManager;
  readonly ingestor: EnvelopeIngestor;
  /** The sync lane's reply channel (answers the workers publish for acks that carry them). */
  readonly sync: SyncAnswers;
  readonly queues: Readonly<Record<QueueName, Queue>>;
  /** The ops server's port (METRICS_PORT, or the one picked for 0); undefined without an ops server. */
  readonly opsPort: number | undefined;
  /** What /readyz answers: ready = Redis ready, ≥1 socket connected, app not halted, not stopping. */
  readiness(): ReadyCheck;
  /** Stops in the order that loses nothing (see the body). Idempotent. */
  stop(): Promise<void>;
}

export async function startConnector(config: ConnectorConfig, deps: ConnectorDeps): Promise<Connector> {
  const { logger } = deps;
  const registry = deps.registry ?? createMetricsRegistry('connector');
  const metrics = createConnectorMetrics(registry);
  const timings: SlotTimings = { ...DEFAULT_SLOT_TIMINGS, ...deps.timings };

  // Producer connection: fail fast while disconnected (no offline queue) and bound every command
  // (commandTimeout), so an enqueue either lands within CONNECTOR_ENQUEUE_TIMEOUT_MS or the
  // envelope stays unacked.
  const redis = createRedisConnection(config.REDIS_URL, {
    role: 'producer',
    name: 'connector-producer',
    logger,
    overrides: { commandTimeout: config.CONNECTOR_ENQUEUE_TIMEOUT_MS },
  });
  try {
    await waitForRedis(redis, deps.redisStartupTimeoutMs ?? 10000);
    await checkRedis(redis, logger);
  } catch (err) {
    redis.disconnect();
    throw err;
  }

  const queues = createQueues(redis, { prefix: config.QUEUE_PREFIX, dedupeWindowSeconds: config.QUEUE_DEDUPE_WINDOW_SECONDS });
  for (const [name, queue] of Object.entries(queues)) {
    queue.on('error', (err) => logger.warn({ queue: name, err: describeError(err) }, 'queue error'));
  }

  // The sync lane subscribes before any socket opens, so no sync envelope finds it missing.
  const sync = new SyncAnswers({ redisUrl: config.REDIS_URL, queuePrefix: config.QUEUE_PREFIX, logger, metrics });
  try {
    await sync.start(deps.redisStartupTimeoutMs ?? 10000);
  } catch (err) {
    await sync.close();
    await closeQueuesAndRedis(queues, redis, logger);
    throw err;
  }

  const ingestor = new EnvelopeIngestor({
    queues,
    redis,
    logger,
    metrics,
    maxInFlight: deps.maxInFlight,
    sync: { answers: sync, budgetMs: config.SYNC_ACK_BUDGET_MS },
  });
  const slots = new SlotManager({
    slots: config.SLACK_CONNECTIONS,
    apiUrl: config.SLACK_API_URL,
    appToken: config.SLACK_APP_TOKEN ?? '',
    maxFrameBytes: config.SLACK_MAX_FRAME_BYTES,
    logger,
    metrics,
    ingestor,
    timings,
    fetch: deps.fetch,
  });

  let stopping = false;
  const readiness = (): ReadyCheck => {
    const halted = slots.halted;
    const connected = slots.connectedSlots();
    const redisReady = redis.status === 'ready';
    return {
      ready: !stopping && !halted && redisReady && connected > 0,
      details: {
        stopping,
        redis: redis.status,
        connected_slots: connected,
        slots: slots.status(),
        sync_lane: sync.ready,
        ...(halted ? { halted: halted.reason } : {}),
      },
    };
  };

  let ops: OpsServer | undefined;
  if (deps.opsServer !== false) {
    try {
      ops = await startOpsServer({ port: config.METRICS_PORT, host: config.METRICS_HOST, registry, readiness, logger });
    } catch (err) {
      await sync.close();
      await closeQueuesAndRedis(queues, redis, logger);
      throw new SocketworksError('ERR_CONNECTOR_OPS_LISTEN', `ops server could not listen on METRICS_PORT ${config.METRICS_PORT}`, { cause: err });
    }
    logger.info({ port: ops.port }, 'ops server listening');
  }

  slots.startAll();
  logger.info({ slots: config.SLACK_CONNECTIONS, queue_prefix: config.QUEUE_PREFIX }, 'connector started');

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      // 1. Readiness goes false; slots stop reconnecting.
      stopping = true;
      // 2. Stop taking new envelopes and close the sockets: each slot pauses reading, lets the
      //    enqueues already in flight finish so their acks are written on the socket that
      //    delivered them, then closes with 1000. What Slack sent after the pause stays unacked
      //    and is redelivered to another socket (events) — never acked without a job.
      await slots.stopAll();
      // 3. Nothing can ack any more; let any enqueue still running settle before its connection
      //    goes (each is bounded by the command timeout, then by the sync budget).
      const left = await ingestor.whenIdle(config.CONNECTOR_ENQUEUE_TIMEOUT_MS + config.SYNC_ACK_BUDGET_MS + 500);
      if (left > 0) logger.warn({ in_flight: left }, 'stopping with enqueues still in flight (they stay unacked)');
      // 4. The sync lane's subscriber (no ack can use an answer any more), then the queues and
      //    the Redis connection they share.
      await sync.close();
      await closeQueuesAndRedis(queues, redis, logger);
      // 5. The ops server last, so /metrics and /readyz answer during the shutdown.
      await ops?.close();
    })();
    return stopped;
  };

  return { registry, metrics, slots, ingestor, sync, queues, opsPort: ops?.port, readiness, stop };
}

/** ioredis connects on its own; with no offline queue nothing may be sent before 'ready'. */
async function waitForRedis(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      reject(new SocketworksError('ERR_CONNECTOR_REDIS_UNAVAILABLE', `Redis (REDIS_URL) not reachable within ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    redis.once('ready', onReady);
  });
}

async function closeQueuesAndRedis(queues: Record<QueueName, Queue>, redis: Redis, logger: Logger): Promise<void> {
  const results = await Promise.allSettled(Object.values(queues).map((q) => q.close()));
  for (const result of results) {
    if (result.status === 'rejected') logger.warn({ err: describeError(result.reason) }, 'queue close failed');
  }
  try {
    await redis.quit();
  } catch (err) {
    // Not connected (Redis down at shutdown): nothing to flush, drop the socket.
    logger.info({ err: describeError(err) }, 'redis quit failed: disconnecting');
    redis.disconnect();
  }
}
