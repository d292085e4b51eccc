// Envelope → queue → ack. The one invariant: an envelope that was acked is in Redis. So the ack is
// written only after `queue.add` resolved, on the socket that delivered the envelope; when the add
// fails (Redis down, timeout) nothing is acked and Slack redelivers (events) or shows the user an
// error (interactive, slash commands) — honest, where an ack would have been a silent loss.
import { EventEmitter } from 'node:events';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { routeEnvelope, toJobData, type Envelope, type QueueName } from '@socketworks/protocol';
import { describeError } from '@socketworks/runtime';
import { EnqueueError } from '../errors';
import type { ConnectorMetrics } from '../metrics';

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
  /** Writes the ack; resolves when written. */
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
  redis: Redis;
  logger: Logger;
  metrics: ConnectorMetrics;
  /**
   * Envelopes between receipt and ack, per process. At the bound the sockets stop reading
   * (back-pressure: Slack holds or redelivers); nothing is dropped. @defaultValue 2000
   */
  maxInFlight?: number;
}

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
    const route = routeEnvelope(envelope, { syncLane: false });
    const log = { envelope_id: envelope.envelope_id, event_id: route.eventId, slot: source.slot, connection_id: source.connectionId };
    metrics.envelopes.inc({ type: envelope.type });
    if (envelope.retry_attempt > 0) metrics.redeliveries.inc();
    this.enter();
    try {
      try {
        const duplicate = await this.enqueue(envelope, source, route.queue, route.jobId);
        if (duplicate) metrics.duplicates.inc();
      } catch (err) {
        metrics.enqueueFailures.inc({ type: envelope.type });
        this.options.logger.error({ ...log, type: envelope.type, queue: route.queue, err: describeError(err) }, 'enqueue failed: envelope not acked');
        return 'enqueue_failed';
      }
      try {
        await source.ack(envelope.envelope_id);
      } catch (err) {
        // The job is in Redis; only the ack is lost. Slack redelivers events (deduplicated by job
        // id); for interactive payloads the user sees an error while the job still runs.
        metrics.ackFailures.inc({ type: envelope.type });
        this.options.logger.warn({ ...log, type: envelope.type, err: describeError(err) }, 'job enqueued but ack not written: socket gone');
        return 'ack_failed';
      }
      const seconds = Number(process.hrtime.bigint() - source.receivedAtHr) / 1e9;
      metrics.acks.inc({ type: envelope.type });
      metrics.ackLatency.observe(seconds);
      if (this.options.logger.isLevelEnabled('debug')) {
        this.options.logger.debug({ ...log, type: envelope.type, queue: route.queue, retry_attempt: envelope.retry_attempt, ack_ms: seconds * 1000 }, 'envelope acked');
      }
      return 'acked';
    } finally {
      this.leave();
    }
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
   * connection right before the add, with no await in between: Redis runs one connection's
   * commands in order, so it sees the key as it was just before this add. (A concurrent add of the
   * same id from another envelope can slip between them; the count is a cheap estimate, the
   * dedupe itself is BullMQ's and exact.)
   */
  private async enqueue(envelope: Envelope, source: EnvelopeSource, queueName: QueueName, jobId: string): Promise<boolean> {
    const queue = this.options.queues[queueName];
    const data = toJobData(envelope, {
      delivery: source.delivery,
      receivedAt: source.receivedAtMs,
      slot: source.slot,
      connectionId: source.connectionId,
    });
    const existed = this.options.redis.exists(queue.toKey(jobId)).then(
      (n) => n > 0,
      // The add below decides the envelope's fate; a failed EXISTS only loses one count.
      () => false,
    );
    try {
      await queue.add(jobName(envelope), data, { jobId });
    } catch (err) {
      throw new EnqueueError(`could not add job ${jobId} to queue ${queueName}`, { cause: err });
    }
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
      return typeof event?.type === 'string' ? event.type : String(payload.type ?? 'event');
    }
    case 'interactive':
      return typeof payload.type === 'string' ? payload.type : 'interactive';
    case 'slash_commands':
      return typeof payload.command === 'string' ? payload.command : 'command';
  }
}
