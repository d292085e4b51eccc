// Every metric the dashboard exports. The queue gauges describe the queues, not this process: they
// are read on scrape (prom-client `collect`) from the cached QueueStats reading, so they are as
// fresh as the cache and never hammer Redis. Two dashboard replicas export the same series with a
// different `instance`: aggregate with `max by (queue)`.
import type { Logger } from 'pino';
import { QUEUE_NAMES } from '@socketworks/protocol';
import { Counter, Gauge, describeError, type Registry } from '@socketworks/runtime';
import type { QueueCounts, QueueStats, QueueStatsSnapshot } from './queue-stats';

export interface DashboardMetrics {
  authFailures: Counter<'scheme'>;
  retries: Counter<'queue' | 'kind'>;
  /** Requests refused by policy (not for their credentials), by reason. */
  refusals: Counter<'reason'>;
  /** Requests the framework could not read (a malformed %-escape, a body over the limit), by reason. */
  badRequests: Counter<'reason'>;
}

const QUEUE_GAUGES: ReadonlyArray<{ name: string; help: string; field: keyof QueueCounts }> = [
  { name: 'socketworks_queue_waiting', help: 'Jobs ready to run and not yet taken by a worker (wait + paused + prioritized), by queue.', field: 'waiting' },
  { name: 'socketworks_queue_active', help: 'Jobs a worker is running, by queue.', field: 'active' },
  { name: 'socketworks_queue_delayed', help: 'Jobs waiting for their back-off (or a 429 Retry-After) to pass, by queue.', field: 'delayed' },
  { name: 'socketworks_queue_failed', help: 'Jobs in the failed set (kept for inspection and retry), by queue.', field: 'failed' },
  { name: 'socketworks_queue_completed', help: 'Completed jobs still kept (the dedupe window), by queue.', field: 'completed' },
  {
    name: 'socketworks_queue_oldest_waiting_age_seconds',
    help: 'Age of the job next in line (since it was created), by queue; 0 when nothing waits.',
    field: 'oldestWaitingAgeSeconds',
  },
];

export function createDashboardMetrics(registry: Registry, stats: Pick<QueueStats, 'snapshot'>, logger: Logger): DashboardMetrics {
  const registers = [registry];
  const readErrors = new Counter({
    name: 'socketworks_dashboard_queue_read_errors_total',
    help: 'Readings of the queues that failed (Redis unreachable or erroring); the queue gauges are then left empty, not stale.',
    registers,
    // Registered first, so it is read first: it waits for the scrape's reading, so a failure
    // shows in the scrape that saw it, not the next one.
    async collect() {
      await reading();
    },
  });
  let lastError = '';
  // Every gauge's collect asks for a reading; QueueStats hands concurrent callers the same promise,
  // and this map makes sure its outcome is counted and logged once, not once per gauge.
  const outcomes = new WeakMap<Promise<QueueStatsSnapshot>, Promise<QueueStatsSnapshot | undefined>>();
  const reading = (): Promise<QueueStatsSnapshot | undefined> => {
    const source = stats.snapshot();
    let outcome = outcomes.get(source);
    if (!outcome) {
      outcome = source.then(
        (snapshot) => {
          lastError = '';
          return snapshot;
        },
        (err: unknown) => {
          readErrors.inc();
          const described = describeError(err);
          // Logged once per distinct error while it lasts.
          if (described.message !== lastError) logger.warn({ err: described }, 'reading queue counts failed');
          lastError = described.message;
          return undefined;
        },
      );
      outcomes.set(source, outcome);
    }
    return outcome;
  };

  new Gauge({
    name: 'socketworks_dashboard_redis_up',
    help: '1 when the latest reading of the queues succeeded, 0 when Redis did not answer.',
    registers,
    async collect() {
      this.set((await reading()) ? 1 : 0);
    },
  });
  for (const spec of QUEUE_GAUGES) {
    new Gauge({
      name: spec.name,
      help: spec.help,
      labelNames: ['queue'],
      registers,
      async collect() {
        const snapshot = await reading();
        this.reset();
        if (!snapshot) return;
        for (const queue of QUEUE_NAMES) this.set({ queue }, snapshot.queues[queue][spec.field]);
      },
    });
  }
  new Gauge({
    name: 'socketworks_redis_maxmemory_policy_noeviction',
    help: "1 when Redis's maxmemory-policy is noeviction (BullMQ needs it), 0 otherwise; absent when it cannot be read (CONFIG disabled).",
    labelNames: ['maxmemory_policy'],
    registers,
    async collect() {
      const snapshot = await reading();
      this.reset();
      if (snapshot?.maxmemoryPolicy !== undefined) {
        this.set({ maxmemory_policy: snapshot.maxmemoryPolicy }, snapshot.maxmemoryPolicy === 'noeviction' ? 1 : 0);
      }
    },
  });

  return {
    authFailures: new Counter({
      name: 'socketworks_dashboard_auth_failures_total',
      help: 'Requests refused for missing or wrong credentials, by the scheme tried (basic, bearer, none, other).',
      labelNames: ['scheme'],
      registers,
    }),
    retries: new Counter({
      name: 'socketworks_dashboard_retries_total',
      help: 'Failed jobs moved back to waiting from the dashboard (its API and pages), by queue and kind (one, all).',
      labelNames: ['queue', 'kind'],
      registers,
    }),
    refusals: new Counter({
      name: 'socketworks_dashboard_refusals_total',
      help: 'Requests refused by policy (not for credentials), by reason: route and state (a bull-board change that would forge, re-run or drop Slack work), read_only (bull-board, in read-only mode), host (DASHBOARD_OPEN and a Host that is not loopback), throttled (a login from an address with too many failed logins, whatever its credentials).',
      labelNames: ['reason'],
      registers,
    }),
    badRequests: new Counter({
      name: 'socketworks_dashboard_bad_requests_total',
      help: 'Requests answered 400 or 413 because they could not be read, by reason: bad_request (a malformed %-escape in the path or query, an unreadable body), body_too_large (a body over the limit).',
      labelNames: ['reason'],
      registers,
    }),
  };
}
