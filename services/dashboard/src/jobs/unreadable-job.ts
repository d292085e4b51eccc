// Jobs BullMQ cannot read. BullMQ keeps a job's data, options, progress and parent as JSON in the
// job's hash, and anything else that writes there (an HSET by hand, another producer, a partial
// restore) can leave text that is not JSON. `Queue.getJob` and `getJobs` then throw JSON.parse's
// SyntaxError, whose message quotes the stored text — secrets included — and one such job failed
// every page, API answer and bull-board list it was part of. So the dashboard reads jobs through
// `readJob`, which answers such a job with an UnreadableJob standing in for it.
import { Job, type JobJsonRaw, type Queue } from 'bullmq';
import { unreadableJobFields } from '@socketworks/runtime';

/**
 * A job whose stored data, options, progress or parent is not JSON. It has everything BullMQ
 * stores as plain fields (name, timestamps, attempts, failedReason, stack traces) and the fields
 * that are JSON; each one that is not is replaced (`data` by `{ unreadable: true, error }`,
 * the others by their defaults), never shown. Its id-based methods (getState, remove) work.
 */
export class UnreadableJob extends Job {
  /** Which hash fields are not JSON. */
  unreadableFields: string[] = [];

  /** What an operator is told instead of the stored bytes. */
  get problem(): string {
    const fields = this.unreadableFields.join(' and ');
    return `its stored ${fields} ${this.unreadableFields.length > 1 ? 'are' : 'is'} not JSON (written by hand, or by something other than BullMQ)`;
  }
}

/**
 * The job with this id; undefined when there is none; an UnreadableJob when BullMQ cannot parse
 * what is stored for it. Redis errors are thrown as they are.
 */
export async function readJob(queue: Queue, id: string): Promise<Job | undefined> {
  try {
    return (await queue.getJob(id)) as Job | undefined;
  } catch (err) {
    const hash = await (await queue.client).hgetall(queue.toKey(id));
    if (Object.keys(hash).length === 0) return undefined;
    const unreadable = unreadableJobFields(hash);
    // Every field parses: the error was something else, for the caller to handle.
    if (unreadable.length === 0) throw err;
    // An empty field reads as its default (`{}`, `0`, no parent).
    const replaced: Record<string, string> = { ...hash };
    for (const field of unreadable) replaced[field] = '';
    // `fromJSON` builds `new this(…)`, so this is an UnreadableJob.
    const job = UnreadableJob.fromJSON(queue, replaced as unknown as JobJsonRaw, id) as UnreadableJob;
    job.unreadableFields = unreadable;
    if (unreadable.includes('data')) job.data = { unreadable: true, error: job.problem };
    return job;
  }
}
