// One job attempt: validate the job data (a trust boundary — another version may have written
// it), run the app, and turn a failure into the job's fate: a rate limit → the delayed set until
// the pause ends (no attempt used), permanent → UnrecoverableError (one attempt, straight to the
// failed set), anything else → rethrown for BullMQ's retries.
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { classifyError, rateLimitOf, slackErrorCode, type App, type DispatchResult, type RateLimitedError } from '@socketworks/framework';
import { parseJobData, type SlackJobData } from '@socketworks/protocol';
import { describeError, type Logger } from '@socketworks/runtime';
import type { ServedQueue } from './config';
import { WorkerError } from './errors';
import type { WorkerMetrics } from './metrics';
import { unreadableReason } from './readable-worker';
import { willRunAgain, type SyncReplier } from './sync-reply';

export interface ProcessorDeps {
  app: App;
  queue: ServedQueue;
  logger: Logger;
  metrics: WorkerMetrics;
  /** Sync lane: publishes a job's ack answer to the connector waiting for it (jobs with `reply_to`). */
  sync?: SyncReplier;
}

/** BullMQ's processor: `token` is the job's lock token (needed to move it to the delayed set). */
export type Processor = (job: Job, token?: string) => Promise<DispatchResult>;

export function createProcessor(deps: ProcessorDeps): Processor {
  const { app, queue, logger, metrics, sync } = deps;
  return async (job, token) => {
    const jobId = job.id ?? '';
    let data: SlackJobData;
    try {
      const unreadable = unreadableReason(job);
      if (unreadable !== undefined) throw new WorkerError('ERR_WORKER_JOB_UNREADABLE', unreadable);
      data = parseJobData(job.data);
    } catch (err) {
      // Running a handler on data we cannot read would only fail again: fail it now, visibly.
      logger.error({ queue, job_id: jobId, err: describeError(err) }, 'invalid job data; failing the job without retries');
      throw unrecoverable(`invalid job data: ${describeError(err).message}`, err);
    }
    const eventId = typeof data.payload.event_id === 'string' ? data.payload.event_id : undefined;
    const jobLogger = logger.child({
      queue,
      job_id: jobId,
      envelope_id: data.envelope_id,
      ...(eventId ? { event_id: eventId } : {}),
      attempt: job.attemptsMade + 1,
    });
    // A payload's type is what the sender wrote: bounded before it reaches a log line.
    const payloadType = typeof data.payload.type === 'string' ? data.payload.type.slice(0, 64) : undefined;
    jobLogger.debug({ type: data.type, payload_type: payloadType }, 'job started');
    const end = metrics.handlerDuration.startTimer({ queue });
    const reply = sync?.forJob(data, jobLogger);
    try {
      const result = await app.dispatch(data, jobId, { logger: jobLogger, ...(reply ? { onAck: reply.onAck } : {}) });
      await reply?.finish(true);
      jobLogger.debug({ handled: result.handled, listeners: result.listeners, duration_ms: Math.round(end() * 1000) }, 'job done');
      return result;
    } catch (err) {
      end();
      const limited = rateLimitOf(err);
      if (limited && token) {
        await reply?.finish(false);
        await delayForRateLimit(job, token, limited, jobLogger, metrics, queue);
      }
      await reply?.finish(!willRunAgain(job, err));
      if (classifyError(err) === 'permanent') {
        const slackError = slackErrorCode(err);
        jobLogger.warn({ err: describeError(err), ...(slackError ? { slack_error: slackError } : {}) }, 'permanent error; failing the job without retries');
        throw unrecoverable(`permanent error, not retried: ${describeError(err).message}`, err);
      }
      throw err;
    }
  };
}

/**
 * Moves the job to the delayed set until the rate limit's pause is over (plus up to 25% / 1 s of
 * jitter, so the jobs held by one pause do not all call Slack in the same millisecond), then
 * throws BullMQ's DelayedError: the job is not failed and `attemptsMade` does not grow
 * (`moveToDelayed` skips the attempt), so rate limits never use up the attempts meant for failures.
 */
async function delayForRateLimit(job: Job, token: string, limited: RateLimitedError, logger: Logger, metrics: WorkerMetrics, queue: ServedQueue): Promise<never> {
  const delayMs = limited.retryAfterMs + Math.floor(Math.random() * Math.min(1000, limited.retryAfterMs * 0.25));
  await job.moveToDelayed(Date.now() + delayMs, token);
  metrics.jobs.inc({ queue, outcome: 'delayed' });
  metrics.rateLimitDelays.inc({ method: limited.method });
  metrics.rateLimitDelaySeconds.observe({ method: limited.method }, delayMs / 1000);
  logger.info(
    { method: limited.method, team_id: limited.teamId, delay_ms: delayMs, paused_by_earlier_429: limited.paused },
    'rate limited; job delayed until the pause is over (no attempt used)',
  );
  throw new DelayedError();
}

/** BullMQ's "do not retry" error, keeping what caused it. Its message becomes the job's failedReason. */
function unrecoverable(message: string, cause: unknown): UnrecoverableError {
  const err = new UnrecoverableError(message);
  Object.defineProperty(err, 'cause', { value: cause, enumerable: false, configurable: true, writable: true });
  return err;
}
