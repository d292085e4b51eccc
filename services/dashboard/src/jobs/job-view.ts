// What the dashboard shows of a job: where it is, how it went, and its data with secrets
// redacted. Built from the job as BullMQ returns it; nothing here trusts the data's shape (another
// version of the connector may have written it).
import type { Job, JobState } from 'bullmq';
import type { QueueName } from '@socketworks/protocol';
import { redactForDisplay, redactString } from '../redact';
import { UnreadableJob } from './unreadable-job';

export interface JobView {
  queue: QueueName;
  id: string;
  name: string;
  state: JobState | 'unknown';
  /** Attempts made so far (BullMQ's `attemptsMade`). */
  attemptsMade: number;
  /** Attempts allowed (`opts.attempts`), the first included. */
  attempts: number;
  failedReason: string | null;
  /** Most recent attempt first. */
  stacktrace: string[];
  /** Epoch milliseconds. */
  timestamp: number;
  processedOn: number | null;
  finishedOn: number | null;
  /** From the job data when present (Slack's wire names). */
  type: string | null;
  envelope_id: string | null;
  event_id: string | null;
  team_id: string | null;
  /** The whole job data (envelope fields and payload), secrets redacted. */
  data: unknown;
  returnvalue: unknown;
  /**
   * Only on a job BullMQ cannot read (its stored data, options, progress or parent is not JSON):
   * `error` says which, and `data` is `{ unreadable: true, error }` when the data is the problem.
   */
  unreadable?: true;
  error?: string;
}

const str = (value: unknown): string | null => (typeof value === 'string' && value.length > 0 ? value : null);

export function toJobView(queue: QueueName, job: Job, state: JobState | 'unknown'): JobView {
  const data = (job.data ?? {}) as Record<string, unknown>;
  const payload = (data.payload && typeof data.payload === 'object' ? data.payload : {}) as Record<string, unknown>;
  const stacktrace = (job.stacktrace ?? []).filter((line): line is string => typeof line === 'string' && line.length > 0);
  return {
    queue,
    id: String(job.id),
    name: redactString(job.name ?? ''),
    state,
    attemptsMade: job.attemptsMade ?? 0,
    attempts: job.opts?.attempts ?? 1,
    failedReason: job.failedReason ? redactString(job.failedReason) : null,
    stacktrace: stacktrace.reverse().map(redactString),
    timestamp: job.timestamp,
    processedOn: job.processedOn ?? null,
    finishedOn: job.finishedOn ?? null,
    type: str(data.type),
    envelope_id: str(data.envelope_id),
    event_id: str(payload.event_id),
    team_id: str(payload.team_id) ?? str((payload.team as { id?: unknown } | undefined)?.id),
    data: redactForDisplay(data),
    returnvalue: redactForDisplay(job.returnvalue ?? null),
    ...(job instanceof UnreadableJob ? { unreadable: true, error: job.problem } : {}),
  };
}
