// The worker's half of the sync lane (ARCHITECTURE.md §2): a sync job names, in `reply_to`, the
// pub/sub channel of the connector process holding its envelope's ack. The moment a listener
// calls `ack(answer)` the answer is published there — not when the job ends: the listener may go
// on to call `views.open` or anything slow after acking. A run that ends without an ack publishes
// `acked: false`, so the connector acks bare at once instead of waiting out its budget.
import type { Job } from 'bullmq';
import type { RedisClient } from '@socketworks/runtime';
import { classifyError } from '@socketworks/framework';
import type { SlackJobData, SyncReply } from '@socketworks/protocol';
import { SYNC_REPLY_VERSION } from '@socketworks/protocol';
import { createRedisConnection, describeError, quitRedis, type Logger } from '@socketworks/runtime';
import type { WorkerMetrics } from './metrics';

/**
 * How one sync job's reply went; the `outcome` label of `socketworks_worker_sync_acks_total`.
 * `in_time` / `late`: the listener acked before / after the job's `reply_by` (by this process's
 * clock); `none`: the run ended without an ack; `publish_failed`: RedisClient did not take the reply.
 */
export type SyncAckOutcome = 'in_time' | 'late' | 'none' | 'publish_failed';

/** What the processor hooks into one dispatch. */
export interface JobReply {
  /** `DispatchOptions.onAck`: publishes the answer. Never rejects (a lost reply only means a bare ack). */
  onAck(response: unknown): Promise<void>;
  /**
   * The run is over. Publishes `acked: false` if no listener acked and the connector may still be
   * waiting. `final` is false when the job failed and BullMQ will try again: a retry may still ack.
   */
  finish(final: boolean): Promise<void>;
}

export interface SyncReplierOptions {
  redisUrl: string;
  /** Treat REDIS_URL as a seed node of a Redis Cluster. */
  redisCluster?: boolean;
  logger: Logger;
  metrics: WorkerMetrics;
  /** Bound on one PUBLISH, so a Redis outage cannot hold a listener's `await ack()`. @defaultValue 1000 */
  publishTimeoutMs?: number;
}

export class SyncReplier {
  private readonly redis: RedisClient;

  constructor(private readonly options: SyncReplierOptions) {
    this.redis = createRedisConnection(options.redisUrl, {
      cluster: options.redisCluster ?? false,
      role: 'command',
      name: 'worker:sync-replies',
      logger: options.logger,
      overrides: { commandTimeout: options.publishTimeoutMs ?? 1000 },
    });
  }

  /** The hooks for one job, or undefined when nobody waits for its answer (no `reply_to`). */
  forJob(data: SlackJobData, logger: Logger): JobReply | undefined {
    const channel = data.reply_to;
    if (!channel) return undefined;
    let acked = false;
    const publish = async (reply: SyncReply): Promise<boolean> => {
      try {
        await this.redis.publish(channel, JSON.stringify(reply));
        return true;
      } catch (err) {
        // The connector acks bare when its budget ends; the job itself goes on.
        this.options.metrics.syncAcks.inc({ outcome: 'publish_failed' });
        logger.warn({ err: describeError(err) }, 'sync lane: could not publish the ack answer; the connector will ack bare');
        return false;
      }
    };
    return {
      onAck: async (response) => {
        acked = true;
        const late = data.reply_by !== undefined && Date.now() > data.reply_by;
        const payload = answerPayload(response, logger);
        const sent = await publish({ v: SYNC_REPLY_VERSION, envelope_id: data.envelope_id, acked: true, ...(payload ? { payload } : {}) });
        if (!sent) return;
        this.options.metrics.syncAcks.inc({ outcome: late ? 'late' : 'in_time' });
        if (late) logger.warn({ late_by_ms: Date.now() - data.reply_by! }, 'sync lane: the listener acked after the connector stopped waiting; its answer is not sent');
      },
      finish: async (final) => {
        if (acked || !final) return;
        this.options.metrics.syncAcks.inc({ outcome: 'none' });
        // Past reply_by the connector has acked bare already: nobody to tell.
        if (data.reply_by !== undefined && Date.now() > data.reply_by) return;
        await publish({ v: SYNC_REPLY_VERSION, envelope_id: data.envelope_id, acked: false });
      },
    };
  }

  close(): Promise<void> {
    return quitRedis(this.redis, 'worker:sync-replies', this.options.logger);
  }
}

/** Whether BullMQ will run a failed job again (then a later attempt may still ack in time). */
export function willRunAgain(job: Job, err: unknown): boolean {
  if (classifyError(err) === 'permanent') return false;
  return job.attemptsMade + 1 < (job.opts.attempts ?? 1);
}

/** The ack answer as a JSON object, or undefined for a bare ack (the framework turns a string into `{ text }`). */
function answerPayload(response: unknown, logger: Logger): Record<string, unknown> | undefined {
  if (response === undefined || response === null) return undefined;
  if (typeof response === 'object' && !Array.isArray(response)) {
    try {
      // Through JSON once, as Slack will see it (drops functions and undefined fields).
      return JSON.parse(JSON.stringify(response)) as Record<string, unknown>;
    } catch (err) {
      logger.warn({ err: describeError(err) }, 'sync lane: ack() answer cannot be sent as JSON; acking bare');
      return undefined;
    }
  }
  logger.warn({ answer_type: Array.isArray(response) ? 'array' : typeof response }, 'sync lane: ack() answer is not an object; acking bare');
  return undefined;
}
