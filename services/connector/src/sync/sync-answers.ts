// The sync lane's return path (ARCHITECTURE.md §2): some acks must carry the handler's answer
// (PROTOCOL.md §4.3), but the handler runs in a worker. Each connector process subscribes once to
// a pub/sub channel of its own; a sync job names it in `reply_to`, and the worker publishes a
// `SyncReply` there the moment a listener calls `ack()`. The ingestor registers a waiter BEFORE
// it adds the job (a fast worker may answer before `queue.add` resolves here), then waits within
// the budget. Pub/sub loses nothing that matters: a reply nobody hears only means a bare ack.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { parseSyncReply, syncReplyChannel, type SyncReply } from '@socketworks/protocol';
import { createSubscriberConnection, describeError, Subscription } from '@socketworks/runtime';
import type { ConnectorMetrics } from '../metrics';
import { redisStepWithin } from '../redis-within';

/**
 * How a sync envelope's wait ended; the `outcome` label of `socketworks_connector_sync_answers_total`.
 * - `in_time`: the listener acked within the budget; its answer (if any) is in the ack.
 * - `none`: the handler finished without calling `ack()` (or no listener matched): acked bare at once.
 * - `late`: the budget ended first: acked bare. A later `ack()` is logged as late.
 * - `unavailable`: the reply channel was not subscribed (Redis reconnecting): acked bare without waiting.
 */
export type SyncOutcome = 'in_time' | 'none' | 'late' | 'unavailable';

export interface SyncAnswer {
  outcome: SyncOutcome;
  /** The ack payload; absent for a bare ack. */
  payload?: Record<string, unknown>;
}

export interface SyncWait {
  /** Settles with the answer, `none`, or `late` when the budget ends. Never rejects. */
  readonly answer: Promise<SyncAnswer>;
  /** Gives up without an outcome (the job could not be added): no answer is awaited any more. */
  cancel(): void;
}

export interface SyncAnswersOptions {
  redisUrl: string;
  /** Treat REDIS_URL as a seed node of a Redis Cluster. */
  redisCluster?: boolean;
  /** `QUEUE_PREFIX`: the channel lives under its hash tag. */
  queuePrefix: string;
  logger: Logger;
  metrics: ConnectorMetrics;
  /** @defaultValue a random UUID: one channel per process */
  instanceId?: string;
  /**
   * How long after its budget ended an envelope is remembered, so a late `ack()` is logged as
   * late (with by how much) rather than as unknown. @defaultValue 60000
   */
  lateWindowMs?: number;
  /** Bound on remembered envelopes (a flood of late answers cannot grow memory). @defaultValue 10000 */
  maxRemembered?: number;
}

interface Waiter {
  resolve: (answer: SyncAnswer) => void;
  timer: NodeJS.Timeout;
}

export class SyncAnswers {
  readonly channel: string;
  readonly instanceId: string;
  private readonly subscription: Subscription;
  private readonly waiters = new Map<string, Waiter>();
  /** envelope_id → `Date.now()` at which its budget ended. Insertion order = expiry order. */
  private readonly expired = new Map<string, number>();
  private closed = false;

  constructor(private readonly options: SyncAnswersOptions) {
    this.instanceId = options.instanceId ?? randomUUID();
    this.channel = syncReplyChannel(options.queuePrefix, this.instanceId);
    // A connection of its own that never gives up reconnecting; after a reconnect the
    // subscription is made again, so `ready` turns true only once it is really back.
    this.subscription = new Subscription({
      redis: createSubscriberConnection(options.redisUrl, { cluster: options.redisCluster, name: 'connector-sync-answers', logger: options.logger }),
      channels: [this.channel],
      onMessage: (_channel, message) => this.onMessage(message),
      logger: options.logger,
      name: 'sync lane',
    });
  }

  /**
   * Whether an answer can reach this process now. When false (Redis reconnecting, or the
   * subscription not back yet), sync envelopes are acked bare (outcome `unavailable`).
   */
  get ready(): boolean {
    return this.subscription.active;
  }

  /** Subscribes; rejects after `timeoutMs` (the connector then fails its start). */
  async start(timeoutMs: number): Promise<void> {
    await redisStepWithin(this.subscription.start(), timeoutMs, 'sync lane: could not subscribe to its reply channel');
    this.options.logger.info({ channel: this.channel }, 'sync lane: listening for answers');
  }

  /**
   * Registers a waiter for `envelopeId`, whose budget ends `timeoutMs` from now. Call it before
   * the job is added.
   */
  expect(envelopeId: string, timeoutMs: number): SyncWait {
    const existing = this.waiters.get(envelopeId);
    if (existing) {
      // Slack never sends an envelope_id twice; a repeat would be a bug upstream. The first
      // waiter ends now so nobody waits forever.
      clearTimeout(existing.timer);
      existing.resolve({ outcome: 'late' });
    }
    let resolveAnswer!: (answer: SyncAnswer) => void;
    const answer = new Promise<SyncAnswer>((resolve) => {
      resolveAnswer = resolve;
    });
    const timer = setTimeout(() => this.expire(envelopeId), Math.max(0, timeoutMs));
    this.waiters.set(envelopeId, { resolve: resolveAnswer, timer });
    return {
      answer,
      cancel: () => {
        const waiter = this.waiters.get(envelopeId);
        if (waiter?.resolve !== resolveAnswer) return;
        clearTimeout(waiter.timer);
        this.waiters.delete(envelopeId);
      },
    };
  }

  /** Ends every wait (bare acks) and closes the connection. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const id of [...this.waiters.keys()]) this.expire(id);
    this.expired.clear();
    await this.subscription.close();
  }

  private expire(envelopeId: string): void {
    const waiter = this.waiters.get(envelopeId);
    if (!waiter) return;
    clearTimeout(waiter.timer);
    this.waiters.delete(envelopeId);
    this.remember(envelopeId);
    waiter.resolve({ outcome: 'late' });
  }

  private remember(envelopeId: string): void {
    const now = Date.now();
    const window = this.options.lateWindowMs ?? 60000;
    const max = this.options.maxRemembered ?? 10000;
    this.expired.set(envelopeId, now);
    for (const [id, at] of this.expired) {
      if (now - at <= window && this.expired.size <= max) break;
      this.expired.delete(id);
    }
  }

  private onMessage(message: string): void {
    let reply: SyncReply;
    try {
      reply = parseSyncReply(message);
    } catch (err) {
      // Anything can PUBLISH on a channel; a bad message is dropped, its envelope (if any) runs
      // into its budget and is acked bare.
      this.options.metrics.syncRepliesRejected.inc();
      this.options.logger.warn({ err: describeError(err) }, 'sync lane: invalid reply dropped');
      return;
    }
    const waiter = this.waiters.get(reply.envelope_id);
    if (waiter) {
      clearTimeout(waiter.timer);
      this.waiters.delete(reply.envelope_id);
      waiter.resolve(reply.acked ? { outcome: 'in_time', ...(reply.payload ? { payload: reply.payload } : {}) } : { outcome: 'none' });
      return;
    }
    const expiredAt = this.expired.get(reply.envelope_id);
    if (expiredAt !== undefined) {
      this.expired.delete(reply.envelope_id);
      if (reply.acked) {
        this.options.metrics.syncLateAcks.inc();
        this.options.logger.warn(
          { envelope_id: reply.envelope_id, late_by_ms: Date.now() - expiredAt, had_answer: reply.payload !== undefined },
          'sync lane: the handler acked after the budget; the envelope was acked bare and its answer was not sent',
        );
      }
      return;
    }
    this.options.logger.debug({ envelope_id: reply.envelope_id, acked: reply.acked }, 'sync lane: reply for an envelope nobody waits for');
  }
}
