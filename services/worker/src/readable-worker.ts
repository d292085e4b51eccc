// BullMQ builds a Job from the stored hash before any processor runs, and a field that is not
// JSON (data, opts, progress, parent — written by hand, by a bug, or truncated) makes that throw.
// The job is then never failed: it goes back to wait and is taken again, forever, and no handler
// or metric ever sees it. This Worker builds such a job with those fields at their defaults and
// marks it, so the processor fails it for good with the reason, like any other invalid job data.
import { Worker, type Job, type JobJsonRaw } from 'bullmq';

const JSON_FIELDS = { data: '{}', opts: '{}', progress: '0' } as const;

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
      const bad = Object.keys(JSON_FIELDS).filter((field) => !isJson(raw[field as keyof typeof JSON_FIELDS]));
      if (raw.parent !== undefined && !isJson(raw.parent)) bad.push('parent');
      // Not a parse failure of ours to mend: BullMQ's own handling applies.
      if (bad.length === 0) throw err;
      const mended: JobJsonRaw = { ...raw };
      for (const field of bad) {
        if (field === 'parent') delete mended.parent;
        else mended[field as keyof typeof JSON_FIELDS] = JSON_FIELDS[field as keyof typeof JSON_FIELDS];
      }
      const job = super.createJob(mended, jobId);
      unreadable.set(job, `the stored ${bad.join(', ')} ${bad.length === 1 ? 'is' : 'are'} not JSON`);
      return job;
    }
  }
}

/** Absent counts as JSON: BullMQ reads a missing field as its default. */
function isJson(text: string | undefined): boolean {
  if (text === undefined || text === '') return true;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
