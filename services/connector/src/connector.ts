// Wires the connector's parts in order (Redis → queues → ingestor → slot leases → HTTP receiver →
// ops server → slots) and returns a handle whose stop() undoes them in the order that loses
// nothing. main.ts calls it with the parsed environment; tests call it in process with shorter
// timings.
import type { Queue } from 'bullmq';
import type { RedisClient } from '@socketworks/runtime';
import type { Logger } from 'pino';
import type { QueueName } from '@socketworks/protocol';
import {
  checkRedis,
  createMetricsRegistry,
  createQueues,
  createRedisConnection,
  describeError,
  quitRedis,
  SocketworksError,
  startOpsServer,
  type OpsServer,
  type ReadyCheck,
  type Registry,
} from '@socketworks/runtime';
import type { ConnectorConfig } from './config';
import { HttpReceiver } from './http/http-receiver';
import { EnvelopeIngestor } from './ingest/envelope-ingestor';
import { createConnectorMetrics, type ConnectorMetrics } from './metrics';
import { SlotManager } from './socket/slot-manager';
import { DEFAULT_SLOT_TIMINGS, type SlotTimings } from './socket/slot-runner';
import { startSlotLeases, type SlotLeases } from './slots/slot-leases';
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
  /** This replica's id in the slot leases. @defaultValue `<hostname>-<pid>-<random>` */
  replicaId?: string;
  /** The HTTP receiver's clock (epoch ms) for the signature replay window. Tests only. @defaultValue Date.now */
  httpNow?: () => number;
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
  /** Slot ownership (SLACK_DELIVERY socket or both). */
  readonly leases: SlotLeases | undefined;
  /** The HTTP receiver (SLACK_DELIVERY http or both). */
  readonly http: HttpReceiver | undefined;
  /**
   * What /readyz answers: ready = not stopping, Redis ready, and: with HTTP delivery (http,
   * both) the receiver listens; socket only — the app is not halted and this replica's lease
   * heartbeat works (a replica holding no slot is ready: others hold them).
   */
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
    cluster: config.REDIS_CLUSTER,
    role: 'producer',
    name: 'connector-producer',
    logger,
    // Envelopes read in one turn (often many: one socket read holds several frames) share a write.
    coalesceWrites: true,
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
  const sync = new SyncAnswers({ redisUrl: config.REDIS_URL, redisCluster: config.REDIS_CLUSTER, queuePrefix: config.QUEUE_PREFIX, logger, metrics });
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

  const socketDelivery = config.SLACK_DELIVERY !== 'http';
  // Each part started so far, undone in reverse when a later one fails to start.
  const undo: Array<() => Promise<void>> = [() => closeQueuesAndRedis(queues, redis, logger), () => sync.close()];
  const failStart = async (err: unknown): Promise<never> => {
    for (const step of undo.reverse()) await step();
    throw err;
  };

  // Slot leases: a Redis lock per slot decides which replica holds which socket.
  let leases: SlotLeases | undefined;
  if (socketDelivery) {
    leases = await startSlotLeases({
      redisUrl: config.REDIS_URL,
      redisCluster: config.REDIS_CLUSTER,
      queuePrefix: config.QUEUE_PREFIX,
      ttlMs: config.CONNECTOR_LEASE_TTL_MS,
      unleasedSocketMaxMs: config.CONNECTOR_UNLEASED_SOCKET_MAX_MS,
      slots,
      logger,
      metrics,
      replicaId: deps.replicaId,
      startupTimeoutMs: deps.redisStartupTimeoutMs,
    }).catch(failStart);
    const started = leases;
    undo.push(() => started.close());
  }

  // HTTP delivery: signed requests on /slack/events into the same ingestor.
  let http: HttpReceiver | undefined;
  if (config.SLACK_DELIVERY !== 'socket') {
    const receiver = new HttpReceiver({
      port: config.HTTP_PORT,
      host: config.HTTP_HOST,
      signingSecret: config.SLACK_SIGNING_SECRET ?? '',
      maxBodyBytes: config.HTTP_MAX_BODY_BYTES,
      ingestor,
      logger,
      metrics,
      now: deps.httpNow,
    });
    await receiver
      .start()
      .catch((err: unknown) => failStart(new SocketworksError('ERR_CONNECTOR_HTTP_LISTEN', `HTTP receiver could not listen on HTTP_PORT ${config.HTTP_PORT}`, { cause: err })));
    http = receiver;
    undo.push(() => receiver.close());
    logger.info({ port: receiver.port }, 'http listening');
  }

  let stopping = false;
  const readiness = (): ReadyCheck => {
    const halted = slots.halted;
    const redisReady = redis.status === 'ready';
    const socketsOk = !leases || (!halted && leases.keeper.participating);
    // With HTTP delivery, readiness gates the HTTP traffic: a replica whose sockets are halted
    // (link_disabled: Slack now sends over HTTP) must keep taking requests.
    const deliveryOk = http ? http.listening : socketsOk;
    return {
      ready: !stopping && redisReady && deliveryOk,
      details: {
        stopping,
        delivery: config.SLACK_DELIVERY,
        redis: redis.status,
        connected_slots: slots.connectedSlots(),
        slots: slots.status(),
        sync_lane: sync.ready,
        ...(leases ? { replica_id: leases.replicaId, leases: leases.keeper.status(), lease_heartbeat: leases.keeper.participating } : {}),
        ...(http ? { http_listening: http.listening } : {}),
        ...(halted ? { halted: halted.reason } : {}),
      },
    };
  };

  let ops: OpsServer | undefined;
  if (deps.opsServer !== false) {
    try {
      ops = await startOpsServer({ port: config.METRICS_PORT, host: config.METRICS_HOST, registry, readiness, logger });
    } catch (err) {
      return failStart(new SocketworksError('ERR_CONNECTOR_OPS_LISTEN', `ops server could not listen on METRICS_PORT ${config.METRICS_PORT}`, { cause: err }));
    }
    logger.info({ port: ops.port }, 'ops server listening');
  }

  leases?.keeper.start();
  logger.info(
    { slots: config.SLACK_CONNECTIONS, queue_prefix: config.QUEUE_PREFIX, delivery: config.SLACK_DELIVERY, replica_id: leases?.replicaId, lease_ttl_ms: config.CONNECTOR_LEASE_TTL_MS },
    'connector started',
  );

  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      // 1. Readiness goes false; HTTP stops accepting (requests in flight still get their ack).
      stopping = true;
      const httpClosed = http?.close();
      // 2. Hand every slot over (make-before-break): another replica opens its socket, waits for
      //    hello, moves the lease; ours then closes after its last acks, and what still arrives
      //    on it is acked through another socket. Bounded so the rest fits the shutdown budget.
      await leases?.keeper.leave(handoverBudgetMs(config.CONNECTOR_SHUTDOWN_TIMEOUT_MS));
      // 3. Close what was not handed over: each slot pauses reading, lets the enqueues already
      //    in flight finish so their acks are written on the socket that delivered them, then
      //    closes with 1000. What Slack sent after the pause stays unacked and is redelivered to
      //    another socket (events) — never acked without a job. Then free those leases, so
      //    another replica need not wait for the TTL.
      await slots.stopAll();
      await leases?.keeper.releaseAll();
      // 3. Nothing can ack any more; let any enqueue still running settle before its connection
      //    goes (each is bounded by the command timeout, then by the sync budget).
      const left = await ingestor.whenIdle(config.CONNECTOR_ENQUEUE_TIMEOUT_MS + config.SYNC_ACK_BUDGET_MS + 500);
      if (left > 0) logger.warn({ in_flight: left }, 'stopping with enqueues still in flight (they stay unacked)');
      // 4. The slot bus (cross-socket acks are settled by now) and the lease connection; the sync
      //    lane's subscriber (no ack can use an answer any more), then the queues and the Redis
      //    connection they share.
      await httpClosed;
      await leases?.close();
      await sync.close();
      await closeQueuesAndRedis(queues, redis, logger);
      // 5. The ops server last, so /metrics and /readyz answer during the shutdown.
      await ops?.close();
    })();
    return stopped;
  };

  return { registry, metrics, slots, ingestor, sync, queues, opsPort: ops?.port, leases, http, readiness, stop };
}

/**
 * How long SIGTERM waits for other replicas to take the slots over: the shutdown budget minus
 * what closing the rest takes (ack drain, close handshakes, in-flight enqueues). At least 1 s.
 */
export function handoverBudgetMs(shutdownTimeoutMs: number): number {
  return Math.max(1000, shutdownTimeoutMs - 4000);
}

/** ioredis connects on its own; with no offline queue nothing may be sent before 'ready'. */
async function waitForRedis(redis: RedisClient, timeoutMs: number): Promise<void> {
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

async function closeQueuesAndRedis(queues: Record<QueueName, Queue>, redis: RedisClient, logger: Logger): Promise<void> {
  const results = await Promise.allSettled(Object.values(queues).map((q) => q.close()));
  for (const result of results) {
    if (result.status === 'rejected') logger.warn({ err: describeError(result.reason) }, 'queue close failed');
  }
  await quitRedis(redis, 'connector-producer', logger);
}
