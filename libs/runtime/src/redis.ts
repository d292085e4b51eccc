// Redis connections for the three ways the product uses Redis. Every connection reconnects
// forever with capped, jittered back-off: a Redis restart or failover never needs a process
// restart.
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { describeError, RepeatedErrors } from './errors';
import { WriteCoalescer } from './write-coalescer';

export type RedisRole =
  /** BullMQ Worker / QueueEvents: blocking commands, must never give up (`maxRetriesPerRequest: null`). */
  | 'blocking'
  /**
   * Producers on the ack path (the connector): fail fast while disconnected instead of queueing
   * commands in memory, so an envelope is not acked on the promise of a write that may never happen.
   */
  | 'producer'
  /** Everything else (leases, rate-limit state, dashboards): short retries, then an error. */
  | 'command';

/** A standalone Redis or a Redis Cluster; BullMQ and every command the product uses accept both. */
export type RedisClient = Redis | Cluster;

export interface RedisConnectionOptions {
  role: RedisRole;
  /**
   * Treat the URL as a seed node of a Redis Cluster (`REDIS_CLUSTER=true`); the other nodes are
   * discovered. Queue keys carry a `{hash tag}`, so each queue's keys share one slot.
   * @defaultValue false
   */
  cluster?: boolean;
  /** Connection name shown by `CLIENT LIST`. */
  name: string;
  logger: Logger;
  /** Extra ioredis options (tests use `connectTimeout`). */
  overrides?: RedisOptions;
  /**
   * Send the commands issued in one event-loop turn in one write (a {@link WriteCoalescer} on the
   * connection's socket) instead of one system call each: for connections that carry many small
   * commands at once (the connector's enqueues, a worker's job moves and effect records). A
   * single Redis connection only; a cluster client is left as it is. @defaultValue false
   */
  coalesceWrites?: boolean;
}

/**
 * The longest wait between reconnect attempts. It is how long acks (and jobs) can stay stopped
 * after Redis is back, so it stays short: a refused connect a second per connection costs Redis
 * nothing.
 */
export const RECONNECT_CAP_MS = 1000;

/** Back-off between reconnect attempts: 100 ms doubling to {@link RECONNECT_CAP_MS}, ±20% jitter, forever. */
export function reconnectDelayMs(attempt: number): number {
  const base = Math.min(100 * 2 ** Math.min(attempt, 10), RECONNECT_CAP_MS);
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

function roleOptions(role: RedisRole): RedisOptions {
  switch (role) {
    case 'blocking':
      return { maxRetriesPerRequest: null, enableReadyCheck: true };
    case 'producer':
      return { maxRetriesPerRequest: 1, enableOfflineQueue: false };
    case 'command':
      return { maxRetriesPerRequest: 2 };
  }
}

export function createRedisConnection(url: string, options: RedisConnectionOptions & { cluster: true }): Cluster;
export function createRedisConnection(url: string, options: RedisConnectionOptions & { cluster?: false }): Redis;
export function createRedisConnection(url: string, options: RedisConnectionOptions): RedisClient;
export function createRedisConnection(url: string, options: RedisConnectionOptions): RedisClient {
  const perRole = roleOptions(options.role);
  let client: RedisClient;
  if (options.cluster) {
    const seed = new URL(url);
    const clusterOptions: ClusterOptions = {
      clusterRetryStrategy: reconnectDelayMs,
      enableOfflineQueue: perRole.enableOfflineQueue ?? true,
      enableReadyCheck: true,
      redisOptions: {
        connectionName: options.name,
        ...(seed.username ? { username: decodeURIComponent(seed.username) } : {}),
        ...(seed.password ? { password: decodeURIComponent(seed.password) } : {}),
        ...(seed.protocol === 'rediss:' ? { tls: {} } : {}),
        ...perRole,
        ...options.overrides,
      },
    };
    client = new Cluster([{ host: seed.hostname, port: Number(seed.port || 6379) }], clusterOptions);
  } else {
    client = new Redis(url, {
      connectionName: options.name,
      retryStrategy: reconnectDelayMs,
      // A failover or READONLY replica: reconnect rather than fail every command.
      reconnectOnError: (err) => err.message.startsWith('READONLY'),
      lazyConnect: false,
      ...perRole,
      ...options.overrides,
    });
  }
  if (options.coalesceWrites && client instanceof Redis) coalesceCommandWrites(client);
  attachRedisLogging(client, options.name, options.logger);
  return client;
}

/** Every command goes through `sendCommand`: each one holds the socket's writes until the turn ends. */
function coalesceCommandWrites(redis: Redis): void {
  const coalescer = new WriteCoalescer(() => redis.stream);
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = (command, stream) => {
    coalescer.hold();
    return send(command, stream);
  };
}

const DELETE_IF_VALUE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * Deletes `key` only while it still holds `value` (a lock, a claim or a request of one's own,
 * never one another process set since); true when it did.
 */
export async function deleteIfValue(redis: RedisClient, key: string, value: string): Promise<boolean> {
  return ((await redis.eval(DELETE_IF_VALUE, 1, key, value)) as number) === 1;
}

/**
 * QUIT (replies still pending are read first); when that fails — not connected, as with Redis down
 * at shutdown — drop the socket: there is nothing left to flush. Never rejects.
 */
export async function quitRedis(redis: RedisClient, name: string, logger: Logger): Promise<void> {
  try {
    await redis.quit();
  } catch (err) {
    logger.info({ redis: name, err: describeError(err) }, 'redis quit failed: disconnecting');
    redis.disconnect();
  }
}

/** Every emitter gets an error listener when created; repeats of one error are logged once. */
export function attachRedisLogging(redis: RedisClient, name: string, logger: Logger): void {
  const errors = new RepeatedErrors();
  redis.on('error', (err: unknown) => {
    const described = errors.fresh(err);
    if (described) logger.warn({ redis: name, err: described }, 'redis connection error');
  });
  redis.on('ready', () => {
    if (errors.reset()) logger.info({ redis: name }, 'redis connection restored');
  });
}

export interface RedisFacts {
  version: string;
  maxmemoryPolicy: string | undefined;
}

/**
 * Reads the server version and eviction policy, and warns loudly when keys may be evicted:
 * BullMQ's locks and job hashes must never be evicted (`maxmemory-policy noeviction`).
 */
export async function checkRedis(redis: RedisClient, logger: Logger): Promise<RedisFacts> {
  const info = await redis.info('server');
  const version = /redis_version:([^\r\n]+)/.exec(info)?.[1] ?? 'unknown';
  let maxmemoryPolicy: string | undefined;
  try {
    const reply = (await redis.config('GET', 'maxmemory-policy')) as string[];
    maxmemoryPolicy = reply[1];
  } catch (err) {
    // Managed Redis often disables CONFIG; the operator has to check the policy in its console.
    logger.info({ err: describeError(err) }, 'cannot read maxmemory-policy (CONFIG disabled); make sure it is noeviction');
  }
  if (maxmemoryPolicy !== undefined && maxmemoryPolicy !== 'noeviction') {
    logger.warn(
      { redis_version: version, maxmemory_policy: maxmemoryPolicy },
      'Redis maxmemory-policy is not noeviction: queued jobs and locks can be evicted under memory pressure. Fix: CONFIG SET maxmemory-policy noeviction (and set it in redis.conf)',
    );
  } else {
    logger.info({ redis_version: version, maxmemory_policy: maxmemoryPolicy }, 'redis checked');
  }
  return { version, maxmemoryPolicy };
}
