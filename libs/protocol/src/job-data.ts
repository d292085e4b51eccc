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
});

export interface JobSource {
  delivery: SlackJobData['delivery'];
  receivedAt: number;
  slot?: number;
  connectionId?: string;
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
