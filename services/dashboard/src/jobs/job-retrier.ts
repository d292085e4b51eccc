// Retry one failed job, or every failed job of a queue, after the operator fixed the cause.
//
// A retried job gets its full attempt budget back (`resetAttemptsMade`): it failed because of
// something now fixed, and a transient error on the way should get the usual back-off retries
// rather than send it straight back to the failed set. That is also why "retry all" does not use
// `Queue.retryJobs`: its script keeps `attemptsMade`, so a job that had used all its attempts
// would fail for good on its first new error.
import type { Job, Queue } from 'bullmq';
import type { RedisClient } from '@socketworks/runtime';
import type { Logger } from 'pino';
import type { QueueName } from '@socketworks/protocol';
import { describeError } from '@socketworks/runtime';
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

export interface JobRetrierOptions {
  queues: Readonly<Record<QueueName, Queue>>;
  /** The connection the queues share. */
  redis: RedisClient;
  logger: Logger;
  /** Most jobs one "retry all" moves. @defaultValue 10000 */
  retryAllMax?: number;
}

const RETRY_OPTIONS = { resetAttemptsMade: true, resetAttemptsStarted: true } as const;
const PAGE = 100;

export class JobRetrier {
  private readonly queues: Readonly<Record<QueueName, Queue>>;
  private readonly redis: RedisClient;
  private readonly logger: Logger;
  private readonly retryAllMax: number;

  constructor(options: JobRetrierOptions) {
    this.queues = options.queues;
    this.redis = options.redis;
    this.logger = options.logger;
    this.retryAllMax = options.retryAllMax ?? 10000;
  }

  /** Moves one failed job back to waiting. `actor` is who asked (logged for the audit trail). */
  async retryOne(queueName: QueueName, jobId: string, actor: string): Promise<void> {
    const job = (await this.queues[queueName].getJob(jobId)) as Job | undefined;
    if (!job) throw new DashboardError('ERR_DASHBOARD_JOB_NOT_FOUND', `no job ${jobId} in queue ${queueName}`);
    await this.retryJob(queueName, job);
    this.logger.info({ queue: queueName, job_id: jobId, actor }, 'job retried');
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
        const job = (await queue.getJob(id)) as Job | undefined;
        try {
          if (!job) throw new DashboardError('ERR_DASHBOARD_JOB_NOT_FOUND', `no job ${id} in queue ${queueName}`);
          await this.retryJob(queueName, job);
          retried += 1;
        } catch (err) {
          // Another operator (or a retention sweep) got there first; going on is safe, the rest
          // of the set is independent of this job.
          skipped += 1;
          this.logger.warn({ queue: queueName, job_id: id, err: describeError(err) }, 'failed job skipped by retry all');
        }
      }
    }
    const remaining = await client.zcard(failedKey);
    this.logger.info({ queue: queueName, retried, skipped, remaining, actor }, 'failed jobs retried');
    return { queue: queueName, retried, skipped, remaining };
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
