// Wires slot ownership for startConnector: two Redis connections of its own (leases + publishing,
// and a subscriber for the bus), the bus, and the keeper. Its own connections because the
// producer connection fails fast with no offline queue (right for enqueues) while a lease renewal
// should wait out a short reconnect, bounded by TTL/3.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { createRedisConnection, createSubscriberConnection, quitRedis } from '@socketworks/runtime';
import { redisStepWithin } from '../redis-within';
import type { ConnectorMetrics } from '../metrics';
import type { SlotManager } from '../socket/slot-manager';
import { SlotBus } from './slot-bus';
import { slotKeys } from './slot-keys';
import { SlotLeaseKeeper } from './slot-lease-keeper';

export interface SlotLeasesOptions {
  redisUrl: string;
  /** Treat REDIS_URL as a seed node of a Redis Cluster. */
  redisCluster?: boolean;
  queuePrefix: string;
  ttlMs: number;
  unleasedSocketMaxMs: number;
  slots: SlotManager;
  logger: Logger;
  metrics: ConnectorMetrics;
  /** @defaultValue `<hostname>-<pid>-<random>` */
  replicaId?: string;
  /** @defaultValue 10000 */
  startupTimeoutMs?: number;
}

export interface SlotLeases {
  readonly replicaId: string;
  readonly keeper: SlotLeaseKeeper;
  /** Closes the keeper (bus included) and the lease connection. */
  close(): Promise<void>;
}

export function newReplicaId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

export async function startSlotLeases(options: SlotLeasesOptions): Promise<SlotLeases> {
  const replicaId = options.replicaId ?? newReplicaId();
  const keys = slotKeys(options.queuePrefix);
  const tickMs = Math.max(50, Math.floor(options.ttlMs / 3));
  const redis = createRedisConnection(options.redisUrl, { cluster: options.redisCluster ?? false,
    role: 'command',
    name: 'connector-leases',
    logger: options.logger,
    overrides: { commandTimeout: tickMs },
  });
  const subscriber = createSubscriberConnection(options.redisUrl, { cluster: options.redisCluster, name: 'connector-slot-bus', logger: options.logger });
  const bus = new SlotBus({ subscriber, publisher: redis, keys, replicaId, logger: options.logger });
  try {
    await redisStepWithin(bus.start(), options.startupTimeoutMs ?? 10000, 'the slot bus could not subscribe (Redis)');
  } catch (err) {
    subscriber.disconnect();
    redis.disconnect();
    throw err;
  }
  const keeper = new SlotLeaseKeeper({
    slots: options.slots,
    redis,
    bus,
    keys,
    replicaId,
    ttlMs: options.ttlMs,
    unleasedSocketMaxMs: options.unleasedSocketMaxMs,
    logger: options.logger,
    metrics: options.metrics,
  });
  return {
    replicaId,
    keeper,
    close: async () => {
      await keeper.close();
      await quitRedis(redis, 'connector-leases', options.logger);
    },
  };
}
