// The JSON API bull-board lacks: find a job by a Slack id, read it redacted, retry one, retry all
// failed. Every answer is JSON; errors are `{ error: <code>, message }` with the code's status.
import { Router } from 'express';
import type { QueueName } from '@socketworks/protocol';
import type { Counter } from '@socketworks/runtime';
import { DashboardError } from '../errors';
import { isQueueName, parseJobQuery, type JobFinder } from '../jobs/job-finder';
import type { FailedJobs } from '../jobs/failed-jobs';
import type { QueueStats } from '../metrics/queue-stats';
import { actorOf } from './auth';

export interface ApiRoutesOptions {
  finder: JobFinder;
  failedJobs: FailedJobs;
  stats: QueueStats;
  retries: Counter<'queue' | 'kind'>;
}

export function queueParam(name: string | undefined): QueueName {
  if (name === undefined || !isQueueName(name)) throw new DashboardError('ERR_DASHBOARD_UNKNOWN_QUEUE', `no queue named ${String(name).slice(0, 40)}`);
  return name;
}

export function createApiRouter(options: ApiRoutesOptions): Router {
  const router = Router();
  router.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });

  /** `GET /api/jobs?event_id=…` | `?envelope_id=…` | `?job_id=…` | `?q=…` (any of them). */
  router.get('/jobs', async (req, res) => {
    const query = parseJobQuery(req.query as Record<string, unknown>);
    res.json({ query, jobs: await options.finder.find(query) });
  });

  router.get('/queues', async (_req, res) => {
    res.json(await options.stats.snapshot());
  });

  router.get('/queues/:queue/jobs/:id', async (req, res) => {
    const queue = queueParam(req.params.queue);
    const job = await options.finder.get(queue, req.params.id);
    if (!job) throw new DashboardError('ERR_DASHBOARD_JOB_NOT_FOUND', `no job ${req.params.id.slice(0, 200)} in queue ${queue}`);
    res.json(job);
  });

  router.post('/queues/:queue/jobs/:id/retry', async (req, res) => {
    const queue = queueParam(req.params.queue);
    await options.failedJobs.retryOne(queue, req.params.id, actorOf(res.locals));
    options.retries.inc({ queue, kind: 'one' });
    res.json({ retried: true, job: await options.finder.get(queue, req.params.id) });
  });

  router.post('/queues/:queue/retry-failed', async (req, res) => {
    const queue = queueParam(req.params.queue);
    const result = await options.failedJobs.retryAllFailed(queue, actorOf(res.locals));
    options.retries.inc({ queue, kind: 'all' }, result.retried);
    res.json(result);
  });

  router.use((_req, _res, next) => next(new DashboardError('ERR_DASHBOARD_NO_ROUTE', 'no such API route')));
  return router;
}
