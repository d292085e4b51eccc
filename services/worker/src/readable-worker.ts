// BullMQ builds a Job from the stored hash before any processor runs, and a field that is not
// JSON (data, opts, progress, parent — written by hand, by a bug, or truncated) makes that throw.
// The job is then never failed: it goes back to wait and is taken again, forever, and no handler
// or metric ever sees it. This Worker builds such a job with those fields at their defaults and
// marks it, so the processor fails it for good with the reason, like any other invalid job data.
import { Worker, type Job, type JobJsonRaw } from 'bullmq';
import { unreadableJobFields } from '@socketworks/runtime';

const unreadable = new WeakMap<Job, string>();

/** Why the job's stored fields could not be read, or undefined for a job read as stored. */
export function unreadableReason(job: Job): string | undefined {
  return unreadable.get(job);
}

export class ReadableWorker extends Worker {
  protected override createJob(raw: JobJsonRaw, jobId: string): Job {
    try {
      return super.createJob(raw, jobId);
    } catch (err) {
      const bad = unreadableJobFields(raw as unknown as Record<string, string | undefined>);
      // Not a parse failure of ours to mend: BullMQ's own handling applies.
      if (bad.length === 0) throw err;
      // An empty field reads as its default (`{}`, `0`, no parent).
      const mended: Record<string, unknown> = { ...raw };
      for (const field of bad) mended[field] = '';
      const job = super.createJob(mended as unknown as JobJsonRaw, jobId);
      unreadable.set(job, `the stored ${bad.join(', ')} ${bad.length === 1 ? 'is' : 'are'} not JSON`);
      return job;
    }
  }
}
