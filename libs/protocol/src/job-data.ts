// What the connector stores in a job and the worker reads back: the envelope as Slack sent it
// (payload scrubbed of secrets), plus where and when it arrived.
import { z } from 'zod';
import { ENVELOPE_TYPES, type Envelope } from './frames';
import { scrubPayload } from './scrub';

export const JOB_DATA_VERSION = 1;

export interface SlackJobData {
  v: typeof JOB_DATA_VERSION;
  type: Envelope['type'];
  envelope_id: string;
  payload: Record<string, unknown>;
  accepts_response_payload: boolean;
  retry_attempt: number;
  retry_reason: string;
  /** Epoch milliseconds at which the connector received the envelope. */
  received_at: number;
  delivery: 'socket' | 'http';
  /** The connection slot and socket that delivered it (socket delivery only). */
  slot?: number;
  connection_id?: string;
  /**
   * Sync lane: the pub/sub channel of the connector process waiting for this job's ack answer
   * (`syncReplyChannel`). The worker publishes a {@link SyncReply} there the moment a listener
   * calls `ack()`. Absent when nobody waits.
   */
  reply_to?: string;
  /** Sync lane: epoch milliseconds at which the connector stops waiting and acks bare. */
  reply_by?: number;
}

export const slackJobDataSchema = z.object({
  v: z.literal(JOB_DATA_VERSION),
  type: z.enum(ENVELOPE_TYPES),
  envelope_id: z.string().min(1),
  payload: z.record(z.unknown()),
  accepts_response_payload: z.boolean(),
  retry_attempt: z.number().int().nonnegative(),
  retry_reason: z.string(),
  received_at: z.number(),
  delivery: z.enum(['socket', 'http']),
  slot: z.number().int().nonnegative().optional(),
  connection_id: z.string().optional(),
  reply_to: z.string().min(1).max(512).optional(),
  reply_by: z.number().optional(),
});

export interface JobSource {
  delivery: SlackJobData['delivery'];
  receivedAt: number;
  slot?: number;
  connectionId?: string;
  /** See {@link SlackJobData.reply_to}. */
  replyTo?: string;
  /** See {@link SlackJobData.reply_by}. */
  replyBy?: number;
}

export function toJobData(envelope: Envelope, source: JobSource): SlackJobData {
  const data: SlackJobData = {
    v: JOB_DATA_VERSION,
    type: envelope.type,
    envelope_id: envelope.envelope_id,
    payload: scrubPayload(envelope.payload),
    accepts_response_payload: envelope.accepts_response_payload,
    retry_attempt: envelope.retry_attempt,
    retry_reason: envelope.retry_reason,
    received_at: source.receivedAt,
    delivery: source.delivery,
  };
  if (source.slot !== undefined) data.slot = source.slot;
  if (source.connectionId !== undefined) data.connection_id = source.connectionId;
  if (source.replyTo !== undefined) data.reply_to = source.replyTo;
  if (source.replyBy !== undefined) data.reply_by = source.replyBy;
  return data;
}

export class JobDataError extends Error {
  override readonly name = 'JobDataError';
  readonly code = 'ERR_JOB_DATA_INVALID';
}

/** Validates job data read back from Redis (a trust boundary: another version may have written it). */
export function parseJobData(data: unknown): SlackJobData {
  const result = slackJobDataSchema.safeParse(data);
  if (!result.success) {
    const where = result.error.issues.map((i) => i.path.join('.') || '(root)').join(', ');
    throw new JobDataError(`job data failed validation at ${where}`);
  }
  return result.data as SlackJobData;
}

export const SYNC_REPLY_VERSION = 1;

/**
 * What a worker publishes on a job's `reply_to` channel (sync lane): once when a listener calls
 * `ack()` (`acked: true`, with the answer unless the ack was bare), or once when the run ended
 * without an ack (`acked: false`), so the connector can ack bare without waiting out its budget.
 */
export interface SyncReply {
  v: typeof SYNC_REPLY_VERSION;
  envelope_id: string;
  acked: boolean;
  /** The ack's answer (PROTOCOL.md §4.3): options, `response_action`, a command's message. */
  payload?: Record<string, unknown>;
}

export const syncReplySchema = z.object({
  v: z.literal(SYNC_REPLY_VERSION),
  envelope_id: z.string().min(1),
  acked: z.boolean(),
  payload: z.record(z.unknown()).optional(),
});

export class SyncReplyError extends Error {
  override readonly name = 'SyncReplyError';
  readonly code = 'ERR_SYNC_REPLY_INVALID';
}

/** Validates a published reply (a trust boundary: any Redis client can publish on the channel). */
export function parseSyncReply(text: string): SyncReply {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new SyncReplyError('sync reply is not JSON');
  }
  const result = syncReplySchema.safeParse(raw);
  if (!result.success) {
    const where = result.error.issues.map((i) => i.path.join('.') || '(root)').join(', ');
    throw new SyncReplyError(`sync reply failed validation at ${where}`);
  }
  return result.data as SyncReply;
}
