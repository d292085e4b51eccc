// One reading of every queue's counts, the age of the job at the head of each queue and Redis's
// eviction policy, shared by /metrics and the pages. Readings are cached for `cacheMs` and taken
// by one caller at a time, so a scrape storm (or a page reloaded in a loop) costs Redis at most
// one round of reads per interval.
import type { Queue } from 'bullmq';
import type { RedisClient } from '@socketworks/runtime';
import { QUEUE_NAMES, type QueueName } from '@socketworks/protocol';
import { DashboardError } from '../errors';

export interface QueueCounts {
  /** Ready to run: the wait list, plus the paused list and prioritized set. */
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  completed: number;
  /** Age of the job next in line (oldest of the heads of wait, paused and prioritized); 0 when none. */
  oldestWaitingAgeSeconds: number;
}

export interface QueueStatsSnapshot {
  /** Epoch milliseconds of the reading. */
  at: number;
  queues: Record<QueueName, QueueCounts>;
  /** `maxmemory-policy`, or undefined where CONFIG is disabled (managed Redis). */
  maxmemoryPolicy: string | undefined;
}

export interface QueueStatsOptions {
  queues: Readonly<Record<QueueName, Queue>>;
  /** The connection the queues share (CONFIG GET runs on it). */
  redis: RedisClient;
  /** @defaultValue 5000 */
  cacheMs?: number;
  /** Injected for tests. @defaultValue Date.now */
  now?: () => number;
}

export class QueueStats {
  private readonly options: QueueStatsOptions;
  private readonly now: () => number;
  private cached: QueueStatsSnapshot | undefined;
  private inFlight: Promise<QueueStatsSnapshot> | undefined;
  /** Reads taken from Redis so far (tests prove the cache with it). */
  reads = 0;

  constructor(options: QueueStatsOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
  }

  /** The cached reading when fresh, else a new one (concurrent callers share it). Rejects when Redis does not answer. */
  snapshot(): Promise<QueueStatsSnapshot> {
    const cacheMs = this.options.cacheMs ?? 5000;
    if (this.cached && this.now() - this.cached.at < cacheMs) return Promise.resolve(this.cached);
    this.inFlight ??= this.read().then(
      (snapshot) => {
        this.cached = snapshot;
        this.inFlight = undefined;
        return snapshot;
      },
      (err: unknown) => {
        this.cached = undefined;
        this.inFlight = undefined;
        throw err;
      },
    );
    return this.inFlight;
  }

  private async read(): Promise<QueueStatsSnapshot> {
    this.reads += 1;
    // While disconnected, ioredis would hold the commands until it reconnects or gives up (seconds
    // to tens of seconds); a scrape or a page must not wait for that.
    if (this.options.redis.status !== 'ready') throw new DashboardError('ERR_DASHBOARD_REDIS_UNAVAILABLE', 'Redis is not connected');
    const at = this.now();
    const [entries, maxmemoryPolicy] = await Promise.all([
      Promise.all(QUEUE_NAMES.map(async (name) => [name, await this.readQueue(this.options.queues[name], at)] as const)),
      this.readPolicy(),
    ]);
    return { at, queues: Object.fromEntries(entries) as Record<QueueName, QueueCounts>, maxmemoryPolicy };
  }

  private async readQueue(queue: Queue, at: number): Promise<QueueCounts> {
    const counts = await queue.getJobCounts('waiting', 'paused', 'prioritized', 'active', 'delayed', 'failed', 'completed');
    const client = this.options.redis;
    // BullMQ pushes new jobs on the left of the wait list and workers take from the right, so the
    // right end is next in line; the prioritized set's first member runs before any other of it.
    const [waitHead, pausedHead, prioritizedHead] = await Promise.all([
      client.lindex(queue.toKey('wait'), -1),
      client.lindex(queue.toKey('paused'), -1),
      client.zrange(queue.toKey('prioritized'), 0, 0),
    ]);
    const heads = [waitHead, pausedHead, prioritizedHead[0]].filter((id): id is string => typeof id === 'string');
    let oldest = at;
    for (const id of heads) {
      const timestamp = Number(await client.hget(queue.toKey(id), 'timestamp'));
      if (Number.isFinite(timestamp) && timestamp > 0) oldest = Math.min(oldest, timestamp);
    }
    return {
      waiting: (counts.waiting ?? 0) + (counts.paused ?? 0) + (counts.prioritized ?? 0),
      active: counts.active ?? 0,
      delayed: counts.delayed ?? 0,
      failed: counts.failed ?? 0,
      completed: counts.completed ?? 0,
      oldestWaitingAgeSeconds: Math.max(0, (at - oldest) / 1000),
    };
  }

  private async readPolicy(): Promise<string | undefined> {
    try {
      const reply = (await this.options.redis.config('GET', 'maxmemory-policy')) as string[];
      return reply[1];
    } catch (err) {
      // Managed Redis often disables CONFIG: the policy is then unknown, not wrong. A connection
      // error, though, must fail the reading like any other.
      if (err instanceof Error && /unknown command|disabled|NOPERM|not allowed/i.test(err.message)) return undefined;
      throw err;
    }
  }
}
