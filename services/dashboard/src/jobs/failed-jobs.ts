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
import { readJob, UnreadableJob } from './unreadable-job';

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
   *
   * The set is read in pages after a (score, id) cursor, not by offset: other requests (another
   * "retry all", on any replica) take jobs out of it meanwhile, and an offset would then jump over
   * jobs that nobody retries. A job another request holds is skipped here and retried there.
   */
  async retryAllFailed(queueName: QueueName, actor: string): Promise<RetryAllResult> {
    const queue = this.queues[queueName];
    const client = this.redis;
    const failedKey = queue.toKey('failed');
    const cutoff = Date.now();
    let retried = 0;
    let skipped = 0;
    // The cursor: the score of the last job tried, and every job tried at that score (the set
    // orders jobs of one score by id; many fail within the same millisecond).
    let fromScore = '-inf';
    let triedAtScore = new Set<string>();
    while (retried < this.retryAllMax) {
      const reply = await client.zrangebyscore(failedKey, fromScore, cutoff, 'WITHSCORES', 'LIMIT', 0, triedAtScore.size + PAGE);
      const page: Array<[id: string, score: string]> = [];
      for (let i = 0; i < reply.length; i += 2) {
        if (!triedAtScore.has(reply[i]!)) page.push([reply[i]!, reply[i + 1]!]);
      }
      if (page.length === 0) break;
      for (const [id, score] of page.slice(0, this.retryAllMax - retried)) {
        if (score !== fromScore) {
          fromScore = score;
          triedAtScore = new Set();
        }
        triedAtScore.add(id);
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
    const job = await readJob(this.queues[queueName], jobId);
    if (!job) throw new DashboardError('ERR_DASHBOARD_JOB_NOT_FOUND', `no job ${jobId} in queue ${queueName}`);
    return job;
  }

  private async retryJob(queueName: QueueName, job: Job): Promise<void> {
    if (job instanceof UnreadableJob) {
      throw new DashboardError('ERR_DASHBOARD_JOB_UNREADABLE', `job ${String(job.id)} in queue ${queueName} cannot be retried: ${job.problem}, so a worker could not run it either. Remove it, or repair it in Redis`);
    }
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
