import { Counter, Histogram, type Registry } from '@socketworks/runtime';

export type JobOutcome = 'completed' | 'failed' | 'retried' | 'delayed';

export interface WorkerMetrics {
  /**
   * A job attempt ended: `completed`, `retried` (failed, another attempt is scheduled), `failed`
   * (final) or `delayed` (rate limited: runs again after the pause, no attempt used).
   */
  jobs: Counter<'queue' | 'outcome'>;
  /** Time in the app's listeners per job attempt, whatever the outcome. */
  handlerDuration: Histogram<'queue'>;
  /** Web API calls answered 429, by method. */
  rateLimited: Counter<'method'>;
  /** Jobs moved to the delayed set for a rate limit (Slack's 429, or a pause another worker's 429 set), by method. */
  rateLimitDelays: Counter<'method'>;
  /** How long those jobs were delayed. */
  rateLimitDelaySeconds: Histogram<'method'>;
  /** Sync lane: how each sync job's ack answer went (in_time, late, none, publish_failed; see sync-reply.ts). */
  syncAcks: Counter<'outcome'>;
  /** Re-run calls made afresh because the call recorded at their position had other targets, by method. */
  replayMismatches: Counter<'method'>;
  /** Promises nobody awaited that rejected (an app's fire-and-forget call), logged and survived. */
  unhandledRejections: Counter;
}

export function createWorkerMetrics(registry: Registry): WorkerMetrics {
  return {
    jobs: new Counter({
      name: 'socketworks_worker_jobs_total',
      help: 'Job attempts by queue and outcome (completed, retried, failed, delayed for a rate limit).',
      labelNames: ['queue', 'outcome'],
      registers: [registry],
    }),
    handlerDuration: new Histogram({
      name: 'socketworks_worker_handler_duration_seconds',
      help: "Time spent in the app's listeners per job attempt.",
      labelNames: ['queue'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    rateLimitDelays: new Counter({
      name: 'socketworks_worker_rate_limit_delays_total',
      help: 'Jobs delayed (not failed) because a Web API method was rate limited for their team, by method.',
      labelNames: ['method'],
      registers: [registry],
    }),
    rateLimitDelaySeconds: new Histogram({
      name: 'socketworks_worker_rate_limit_delay_seconds',
      help: 'How long rate-limited jobs were delayed (Retry-After or the pause left, plus jitter).',
      labelNames: ['method'],
      buckets: [0.5, 1, 2, 5, 10, 30, 60, 120, 300],
      registers: [registry],
    }),
    rateLimited: new Counter({
      name: 'socketworks_worker_rate_limited_total',
      help: 'Slack Web API calls answered with HTTP 429, by method.',
      labelNames: ['method'],
      registers: [registry],
    }),
    syncAcks: new Counter({
      name: 'socketworks_worker_sync_acks_total',
      help: "Sync lane: listeners' ack answers published to the waiting connector (in_time or late against the job's reply_by), runs that ended without ack (none), replies Redis refused (publish_failed).",
      labelNames: ['outcome'],
      registers: [registry],
    }),
    replayMismatches: new Counter({
      name: 'socketworks_worker_replay_mismatches_total',
      help: "Calls of a re-run job whose targets (channel, ts, user, …) differed from the call an earlier attempt recorded at that position: made afresh instead of replayed, by method.",
      labelNames: ['method'],
      registers: [registry],
    }),
    unhandledRejections: new Counter({
      name: 'socketworks_worker_unhandled_rejections_total',
      help: "Promises nobody awaited that rejected (e.g. an app's say() without await that Slack refused): logged at error level; the worker keeps running.",
      registers: [registry],
    }),
  };
}
