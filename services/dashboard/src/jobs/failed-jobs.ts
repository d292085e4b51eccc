// What an operator may do to failed jobs: retry one, or every failed job of a queue, after fixing
// the cause; or remove one for good.
//
// A retried job gets its full attempt budget back (`resetAttemptsMade`): it failed because of
// something now fixed, and a transient error on the way should get the usual back-off retries
// rather than send it straight back to the failed set. That is also why "retry all" does not use
// `Queue.retryJobs`: its script keeps `attemptsMade`, so a job that had used all its attempts
// would fail for good on its first new error.
//
// Each change to one job runs under a short per-job lock in Redis, shared by every dashboard
// replica: a removal checks that the job is failed and then removes it (BullMQ's removal takes a
// job from any state), so without the lock a retry landing in between would have its job — now
// waiting, acked Slack work — removed unrun.
import { randomUUID } from 'node:crypto';
import type { Job, Queue } from 'bullmq';
import type { RedisClient } from '@socketworks/runtime';
import type { Logger } from 'pino';
import type { QueueName } from '@socketworks/protocol';
import { deleteIfValue, describeError } from '@socketworks/runtime';
import { DashboardError } from '../errors';

export interface RetryAllResult {
  queue: QueueName;
  /** Jobs moved from failed back to waiting. */
  retried: number;
  /** Failed jobs that could not be moved (removed or retried by someone else meanwhile). */
  skipped: number;
  /** Failed jobs left in the set (more than `max`, or failed again since the click). */
  remaining: number;
}

export interface FailedJobsOptions {
  queues: Readonly<Record<QueueName, Queue>>;
  /** The connection the queues share. */
  redis: RedisClient;
  logger: Logger;
  /** Most jobs one "retry all" moves. @defaultValue 10000 */
  retryAllMax?: number;
}

const RETRY_OPTIONS = { resetAttemptsMade: true, resetAttemptsStarted: true } as const;
const PAGE = 100;
/** A per-job lock outlives a change by far (a few round trips); it expires if the process dies. */
const JOB_LOCK_TTL_MS = 10000;

/** Why jobs in `state` may not be removed (a refusal's message). */
export function whyNotRemoved(state: string | undefined): string {
  return state === 'completed'
    ? "would drop the ids that dedupe Slack's redeliveries of those events (completed jobs expire on their own after the dedupe window)"
    : 'would drop acked Slack work that has not run';
}

export class FailedJobs {
  private readonly queues: Readonly<Record<QueueName, Queue>>;
  private readonly redis: RedisClient;
  private readonly logger: Logger;
  private readonly retryAllMax: number;

  constructor(options: FailedJobsOptions) {
    this.queues = options.queues;
    this.redis = options.redis;
    this.logger = options.logger;
    this.retryAllMax = options.retryAllMax ?? 10000;
  }

  /** Moves one failed job back to waiting. `actor` is who asked (logged for the audit trail). */
  async retryOne(queueName: QueueName, jobId: string, actor: string): Promise<void> {
    await this.retryLocked(queueName, jobId);
    this.logger.info({ queue: queueName, job_id: jobId, actor }, 'job retried');
  }

  /**
   * Removes one failed job for good (it will not run again). Any other state is refused: waiting,
   * delayed or active jobs are acked Slack work that has not run, and a completed job's id dedupes
   * its event's redeliveries.
   */
  async removeOne(queueName: QueueName, jobId: string, actor: string): Promise<void> {
    await this.exclusive(queueName, jobId, async () => {
      const job = await this.existingJob(queueName, jobId);
      const state = await job.getState();
      if (state !== 'failed') {
        throw new DashboardError('ERR_DASHBOARD_JOB_NOT_FAILED', `refused by Socketworks: job ${jobId} in queue ${queueName} is ${state}; removing it ${whyNotRemoved(state)}. Only failed jobs can be removed`);
      }
      await job.remove();
    });
    this.logger.info({ queue: queueName, job_id: jobId, actor }, 'failed job removed');
  }

  /**
   * Moves the jobs that were in the failed set when it was called back to waiting, oldest failure
   * first, at most `retryAllMax`. Jobs that fail again meanwhile are not picked up a second time.
   */
  async retryAllFailed(queueName: QueueName, actor: string): Promise<RetryAllResult> {
    const queue = this.queues[queueName];
    const client = this.redis;
    const failedKey = queue.toKey('failed');
    const cutoff = Date.now();
    let retried = 0;
    let skipped = 0;
    while (retried < this.retryAllMax) {
      // Retried jobs leave the set, so the next page starts after the ones that could not move.
      const ids = await client.zrangebyscore(failedKey, '-inf', cutoff, 'LIMIT', skipped, Math.min(PAGE, this.retryAllMax - retried));
      if (ids.length === 0) break;
      for (const id of ids) {
        try {
          await this.retryLocked(queueName, id);
          retried += 1;
        } catch (err) {
          // Another operator (or a retention sweep) got there first, or is changing it right now;
          // going on is safe, the rest of the set is independent of this job.
          skipped += 1;
          this.logger.warn({ queue: queueName, job_id: id, err: describeError(err) }, 'failed job skipped by retry all');
        }
      }
    }
    const remaining = await client.zcard(failedKey);
    this.logger.info({ queue: queueName, retried, skipped, remaining, actor }, 'failed jobs retried');
    return { queue: queueName, retried, skipped, remaining };
  }

  /**
   * Runs `change` while holding job `jobId`'s operator lock; refuses (409) when another request,
   * on any dashboard replica, holds it.
   */
  private async exclusive<T>(queueName: QueueName, jobId: string, change: () => Promise<T>): Promise<T> {
    const key = this.queues[queueName].toKey(`dashboard-lock:${jobId}`);
    const token = randomUUID();
    if ((await this.redis.set(key, token, 'PX', JOB_LOCK_TTL_MS, 'NX')) !== 'OK') {
      throw new DashboardError('ERR_DASHBOARD_JOB_BUSY', `job ${jobId} in queue ${queueName} is being retried or removed by another request right now; try again`);
    }
    try {
      return await change();
    } finally {
      await deleteIfValue(this.redis, key, token).catch((err: unknown) => {
        // It expires within JOB_LOCK_TTL_MS anyway.
        this.logger.warn({ queue: queueName, job_id: jobId, err: describeError(err) }, 'could not release a job lock');
      });
    }
  }

  private retryLocked(queueName: QueueName, jobId: string): Promise<void> {
    return this.exclusive(queueName, jobId, async () => this.retryJob(queueName, await this.existingJob(queueName, jobId)));
  }

  private async existingJob(queueName: QueueName, jobId: string): Promise<Job> {
    const job = (await this.queues[queueName].getJob(jobId)) as Job | undefined;
    if (!job) throw new DashboardError('ERR_DASHBOARD_JOB_NOT_FOUND', `no job ${jobId} in queue ${queueName}`);
    return job;
  }

  private async retryJob(queueName: QueueName, job: Job): Promise<void> {
    const state = await job.getState();
    if (state !== 'failed') {
      throw new DashboardError('ERR_DASHBOARD_JOB_NOT_FAILED', `job ${String(job.id)} in queue ${queueName} is ${state}, not failed`);
    }
    try {
      await job.retry('failed', RETRY_OPTIONS);
    } catch (err) {
      // The job left the failed set between the check and the move (another retry, a removal).
      const now = await job.getState();
      if (now !== 'failed') {
        throw new DashboardError('ERR_DASHBOARD_JOB_NOT_FAILED', `job ${String(job.id)} in queue ${queueName} is ${now}, not failed`, { cause: err });
      }
      throw err;
    }
  }
}
