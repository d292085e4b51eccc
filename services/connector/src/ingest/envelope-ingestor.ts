// Envelope → queue → ack. The one invariant: an envelope that was acked is in Redis. So the ack is
// written only after `queue.add` resolved, on the socket that delivered the envelope; when the add
// fails (Redis down, timeout) nothing is acked and Slack redelivers (events) or shows the user an
// error (interactive, slash commands) — honest, where an ack would have been a silent loss.
// Sync lane: for kinds whose ack carries the handler's answer (PROTOCOL.md §4.3) the job is added
// first, as always, and then the ack waits — within SYNC_ACK_BUDGET_MS of receipt — for the
// answer the worker publishes when the listener calls `ack()` (sync/sync-answers.ts). In the sync
// queue, a job whose ack is still held open runs before the ones already acked bare (trigger_id
// kinds, answers nobody waits for): those have no deadline on this side, the held ack has one.
import { EventEmitter } from 'node:events';
import type { Queue } from 'bullmq';
import type { RedisClient } from '@socketworks/runtime';
import type { Logger } from 'pino';
import { routeEnvelope, toJobData, type Envelope, type QueueName, type Route } from '@socketworks/protocol';
import { describeError } from '@socketworks/runtime';
import { EnqueueError } from '../errors';
import type { ConnectorMetrics } from '../metrics';
import type { SyncAnswer, SyncAnswers, SyncWait } from '../sync/sync-answers';

/**
 * Where an envelope came from and how to ack it. Over Socket Mode the ack is a frame on the socket
 * that delivered it; an HTTP receiver (same ingestor) answers its request instead.
 */
export interface EnvelopeSource {
  delivery: 'socket' | 'http';
  /** Socket delivery: the slot and socket, for logs and the job. */
  slot?: number;
  connectionId?: string;
  receivedAtMs: number;
  receivedAtHr: bigint;
  /**
   * Writes the ack; resolves when written. `payload` is the handler's answer for the sync lane
   * (options, `response_action`, a command's message), absent for a bare ack.
   */
  ack: (envelopeId: string, payload?: Record<string, unknown>) => Promise<void>;
}

export type IngestOutcome =
  /** Job written (or already there) and ack written. */
  | 'acked'
  /** Job could not be written: not acked. */
  | 'enqueue_failed'
  /** Job written, but the delivering socket was gone before the ack. */
  | 'ack_failed';

export interface EnvelopeIngestorOptions {
  queues: Record<QueueName, Queue>;
  /** The producer connection the queues share (duplicate check runs on it, in order with the add). */
  redis: RedisClient;
  logger: Logger;
  metrics: ConnectorMetrics;
  /**
   * Envelopes between receipt and ack, per process. At the bound the sockets stop reading
   * (back-pressure: Slack holds or redelivers); nothing is dropped. @defaultValue 2000
   */
  maxInFlight?: number;
  /**
   * The sync lane. With it, slash commands, `block_suggestion`, `view_submission` and the
   * trigger_id kinds go to the `sync` queue and answers are awaited; without it they go to
   * `commands` / `interactive` and every ack is bare.
   */
  sync?: SyncLaneOptions;
}

export interface SyncLaneOptions {
  answers: SyncAnswers;
  /** `SYNC_ACK_BUDGET_MS`: receipt → ack bound while waiting for an answer. 0 = never wait. */
  budgetMs: number;
}

/**
 * BullMQ priority of sync-queue jobs whose envelope was (or will be) acked bare. Jobs without a
 * priority run first, so a job whose ack is waiting never queues behind them. (Prioritized jobs
 * live in the queue's `prioritized` set rather than its wait list.)
 */
export const BARE_SYNC_JOB_PRIORITY = 1;

/** What the ingestor does about an envelope's answer, decided before the job is added. */
type AnswerPlan =
  | { kind: 'none' }
  | { kind: 'unavailable' }
  | { kind: 'wait'; wait: SyncWait; replyTo: string; replyBy: number };

export interface EnvelopeIngestorEvents {
  /** In-flight work reached the bound: pause reading. */
  saturated: [];
  /** In-flight work fell to half the bound: resume reading. */
  drained: [];
}

export class EnvelopeIngestor extends EventEmitter<EnvelopeIngestorEvents> {
  private inFlightCount = 0;
  private saturatedFlag = false;
  private readonly maxInFlight: number;
  private readonly idle = new Set<() => void>();

  constructor(private readonly options: EnvelopeIngestorOptions) {
    super();
    this.maxInFlight = options.maxInFlight ?? 2000;
  }

  get inFlight(): number {
    return this.inFlightCount;
  }

  get saturated(): boolean {
    return this.saturatedFlag;
  }

  /** Never rejects: every outcome is logged and counted here. */
  async ingest(envelope: Envelope, source: EnvelopeSource): Promise<IngestOutcome> {
    const { metrics } = this.options;
    const route = routeEnvelope(envelope, { syncLane: this.options.sync !== undefined });
    const log = { envelope_id: envelope.envelope_id, event_id: route.eventId, slot: source.slot, connection_id: source.connectionId };
    metrics.envelopes.inc({ type: envelope.type });
    if (envelope.retry_attempt > 0) metrics.redeliveries.inc();
    this.enter();
    try {
      // The waiter exists before the job does: a fast worker may answer before the add resolves.
      const plan = this.planAnswer(envelope, source, route);
      try {
        const duplicate = await this.enqueue(envelope, source, route, plan);
        if (duplicate) metrics.duplicates.inc();
      } catch (err) {
        if (plan.kind === 'wait') plan.wait.cancel();
        metrics.enqueueFailures.inc({ type: envelope.type });
        this.options.logger.error({ ...log, type: envelope.type, queue: route.queue, err: describeError(err) }, 'enqueue failed: envelope not acked');
        return 'enqueue_failed';
      }
      const answer = await this.answerOf(plan, log);
      try {
        await source.ack(envelope.envelope_id, answer?.payload);
      } catch (err) {
        // The job is in Redis; only the ack is lost. Slack redelivers events (deduplicated by job
        // id); for interactive payloads the user sees an error while the job still runs.
        metrics.ackFailures.inc({ type: envelope.type });
        this.options.logger.warn({ ...log, type: envelope.type, err: describeError(err) }, 'job enqueued but ack not written: socket gone');
        return 'ack_failed';
      }
      const seconds = Number(process.hrtime.bigint() - source.receivedAtHr) / 1e9;
      metrics.acks.inc({ type: envelope.type });
      metrics.ackLatency.observe({ type: envelope.type, awaited: plan.kind === 'wait' ? 'true' : 'false' }, seconds);
      if (this.options.logger.isLevelEnabled('debug')) {
        this.options.logger.debug(
          {
            ...log,
            type: envelope.type,
            queue: route.queue,
            retry_attempt: envelope.retry_attempt,
            ack_ms: seconds * 1000,
            ...(answer ? { sync_outcome: answer.outcome, with_payload: answer.payload !== undefined } : {}),
          },
          'envelope acked',
        );
      }
      return 'acked';
    } finally {
      this.leave();
    }
  }

  private planAnswer(envelope: Envelope, source: EnvelopeSource, route: Route): AnswerPlan {
    const sync = this.options.sync;
    if (!route.awaitAnswer || !sync || sync.budgetMs <= 0) return { kind: 'none' };
    if (!sync.answers.ready) return { kind: 'unavailable' };
    const elapsedMs = Number(process.hrtime.bigint() - source.receivedAtHr) / 1e6;
    const remainingMs = Math.max(0, sync.budgetMs - elapsedMs);
    const wait = sync.answers.expect(envelope.envelope_id, remainingMs);
    return { kind: 'wait', wait, replyTo: sync.answers.channel, replyBy: Date.now() + Math.ceil(remainingMs) };
  }

  /** Waits for the answer (job already in Redis); counts and logs how the wait ended. */
  private async answerOf(plan: AnswerPlan, log: Record<string, unknown>): Promise<SyncAnswer | undefined> {
    const { metrics, logger } = this.options;
    if (plan.kind === 'none') return undefined;
    if (plan.kind === 'unavailable') {
      metrics.syncAnswers.inc({ outcome: 'unavailable' });
      logger.warn(log, 'sync lane: reply channel not subscribed (Redis reconnecting): acking bare without waiting');
      return { outcome: 'unavailable' };
    }
    const started = process.hrtime.bigint();
    const answer = await plan.wait.answer;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    metrics.syncAnswers.inc({ outcome: answer.outcome });
    metrics.syncWait.observe({ outcome: answer.outcome }, seconds);
    if (answer.outcome === 'late') {
      logger.warn({ ...log, budget_ms: this.options.sync?.budgetMs, waited_ms: Math.round(seconds * 1000) }, 'sync lane: no answer within the budget: acking bare');
    }
    return answer;
  }

  /** Resolves when nothing is in flight, or after `timeoutMs`; returns how many were still in flight. */
  async whenIdle(timeoutMs: number): Promise<number> {
    if (this.inFlightCount === 0) return 0;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.idle.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.idle.add(done);
    });
    return this.inFlightCount;
  }

  /**
   * Adds the job; resolves with whether its id already existed. The EXISTS is sent on the same
   * connection right before the add, with no await in between: RedisClient runs one connection's
   * commands in order, so it sees the key as it was just before this add. (A concurrent add of the
   * same id from another envelope can slip between them; the count is a cheap estimate, the
   * dedupe itself is BullMQ's and exact.)
   */
  private async enqueue(envelope: Envelope, source: EnvelopeSource, route: Route, plan: AnswerPlan): Promise<boolean> {
    const { queue: queueName, jobId } = route;
    const queue = this.options.queues[queueName];
    const data = toJobData(envelope, {
      delivery: source.delivery,
      receivedAt: source.receivedAtMs,
      slot: source.slot,
      connectionId: source.connectionId,
      ...(plan.kind === 'wait' ? { replyTo: plan.replyTo, replyBy: plan.replyBy } : {}),
    });
    const started = process.hrtime.bigint();
    const existed = this.options.redis.exists(queue.toKey(jobId)).then(
      (n) => n > 0,
      // The add below decides the envelope's fate; a failed EXISTS only loses one count.
      () => false,
    );
    const priority = queueName === 'sync' && plan.kind !== 'wait' ? { priority: BARE_SYNC_JOB_PRIORITY } : {};
    try {
      await queue.add(jobName(envelope), data, { jobId, ...priority });
    } catch (err) {
      throw new EnqueueError(`could not add job ${jobId} to queue ${queueName}`, { cause: err });
    }
    this.options.metrics.enqueueDuration.observe({ queue: queueName }, Number(process.hrtime.bigint() - started) / 1e9);
    return existed;
  }

  private enter(): void {
    this.inFlightCount += 1;
    this.options.metrics.inFlight.set(this.inFlightCount);
    if (!this.saturatedFlag && this.inFlightCount >= this.maxInFlight) {
      this.saturatedFlag = true;
      this.options.logger.warn({ in_flight: this.inFlightCount }, 'in-flight bound reached: pausing socket reads');
      this.emit('saturated');
    }
  }

  private leave(): void {
    this.inFlightCount -= 1;
    this.options.metrics.inFlight.set(this.inFlightCount);
    if (this.saturatedFlag && this.inFlightCount <= Math.floor(this.maxInFlight / 2)) {
      this.saturatedFlag = false;
      this.options.logger.info({ in_flight: this.inFlightCount }, 'in-flight work drained: resuming socket reads');
      this.emit('drained');
    }
    if (this.inFlightCount === 0) for (const done of [...this.idle]) done();
  }
}

/** The job name shown in the dashboard: the inner event type, the interaction type, or the command. */
function jobName(envelope: Envelope): string {
  const payload = envelope.payload;
  switch (envelope.type) {
    case 'events_api': {
      const event = payload.event as { type?: unknown } | undefined;
      if (typeof event?.type === 'string') return event.type;
      return typeof payload.type === 'string' ? payload.type : 'event';
    }
    case 'interactive':
      return typeof payload.type === 'string' ? payload.type : 'interactive';
    case 'slash_commands':
      return typeof payload.command === 'string' ? payload.command : 'command';
  }
}
