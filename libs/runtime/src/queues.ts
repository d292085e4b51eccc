// The product's BullMQ queues: names, key prefix and job options in one place, so the connector
// that writes and the worker that reads can never disagree.
import { Queue, type ConnectionOptions, type DefaultJobOptions } from 'bullmq';
import { bullPrefix, QUEUE_NAMES, type QueueName } from '@socketworks/protocol';

export interface QueueSettings {
  /** `QUEUE_PREFIX`; wrapped in a `{hash tag}` for Redis Cluster. */
  prefix: string;
  /**
   * How long a finished job is kept. Its id (the Slack `event_id`) is the dedupe key, so a
   * redelivery within this window is recognised as a duplicate. Slack's last retry comes ~5 min
   * after the first delivery (PROTOCOL.md §8).
   * @defaultValue 3600
   */
  dedupeWindowSeconds?: number;
  /** How long failed jobs are kept for inspection and retry. @defaultValue 604800 (7 days) */
  failedRetentionSeconds?: number;
  /** Attempts per job, the first included. @defaultValue 5 */
  attempts?: number;
  /** First retry delay, doubling per attempt. @defaultValue 1000 */
  backoffMs?: number;
}

export function defaultJobOptions(settings: QueueSettings): DefaultJobOptions {
  return {
    attempts: settings.attempts ?? 5,
    backoff: { type: 'exponential', delay: settings.backoffMs ?? 1000 },
    removeOnComplete: { age: settings.dedupeWindowSeconds ?? 3600 },
    removeOnFail: { age: settings.failedRetentionSeconds ?? 7 * 24 * 3600 },
  };
}

export function createQueue(name: QueueName, connection: ConnectionOptions, settings: QueueSettings): Queue {
  return new Queue(name, {
    connection,
    prefix: bullPrefix(settings.prefix),
    defaultJobOptions: defaultJobOptions(settings),
  });
}

/** One Queue per name, sharing a connection. Each gets an error listener from the caller. */
export function createQueues(connection: ConnectionOptions, settings: QueueSettings): Record<QueueName, Queue> {
  const queues = {} as Record<QueueName, Queue>;
  for (const name of QUEUE_NAMES) queues[name] = createQueue(name, connection, settings);
  return queues;
}

/** The fields of a job's hash BullMQ parses as JSON when it reads the job (`Job.fromJSON`). */
const JOB_JSON_FIELDS = ['data', 'opts', 'progress', 'parent'] as const;

export type JobJsonField = (typeof JOB_JSON_FIELDS)[number];

/**
 * The fields of a stored job BullMQ cannot read: text that is not JSON (written by hand, by
 * something other than BullMQ, a partial restore), or `opts` of `null` (read with
 * Object.entries). An absent or empty field reads as its default, so it is never one of them.
 */
export function unreadableJobFields(stored: Readonly<Record<string, string | undefined>>): JobJsonField[] {
  return JOB_JSON_FIELDS.filter((field) => {
    const text = stored[field];
    if (text === undefined || text === '') return false;
    try {
      const value: unknown = JSON.parse(text);
      return field === 'opts' && value === null;
    } catch {
      return true;
    }
  });
}
