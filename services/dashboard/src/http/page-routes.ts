// The HTML pages: the queue overview (/), job search (/jobs) and the two retry forms, which
// answer with a 303 back to the page they came from (post/redirect/get: a reload never retries
// twice).
import { Router, type Response } from 'express';
import type { Counter } from '@socketworks/runtime';
import { DashboardError } from '../errors';
import { QUERY_KINDS, type JobFinder, type JobQuery, type JobQueryKind } from '../jobs/job-finder';
import type { FailedJobs } from '../jobs/failed-jobs';
import type { QueueStats } from '../metrics/queue-stats';
import { actorOf } from './auth';
import { queueParam } from './api-routes';
import { PAGE_CSP, renderOverview, renderSearch, type PageContext } from './pages';

export interface PageRoutesOptions {
  finder: JobFinder;
  failedJobs: FailedJobs;
  stats: QueueStats;
  retries: Counter<'queue' | 'kind'>;
  readOnly: boolean;
}

function sendPage(res: Response, html: string, status = 200): void {
  res.setHeader('Content-Security-Policy', PAGE_CSP);
  res.setHeader('Cache-Control', 'no-store');
  res.status(status).type('html').send(html);
}

const one = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

export function createPageRouter(options: PageRoutesOptions): Router {
  const router = Router();
  const context = (res: Response): PageContext => ({ readOnly: options.readOnly, actor: actorOf(res.locals) });

  router.get('/', async (req, res) => {
    const snapshot = await options.stats.snapshot().catch(() => undefined);
    const count = Number(one(req.query.count));
    sendPage(res, renderOverview(context(res), snapshot, { code: one(req.query.notice), count: Number.isFinite(count) ? count : undefined }));
  });

  router.get('/jobs', async (req, res) => {
    const value = one(req.query.q)?.trim() ?? '';
    const kindParam = one(req.query.kind) ?? 'any';
    const notice = { code: one(req.query.notice) };
    if (value === '') return sendPage(res, renderSearch(context(res), undefined, undefined, notice));
    const kind: JobQueryKind = (QUERY_KINDS as readonly string[]).includes(kindParam) ? (kindParam as JobQueryKind) : 'any';
    const query: JobQuery = { kind, value };
    try {
      sendPage(res, renderSearch(context(res), query, await options.finder.find(query), notice));
    } catch (err) {
      if (!(err instanceof DashboardError)) throw err;
      sendPage(res, renderSearch(context(res), query, undefined, notice, err.message), 400);
    }
  });

  router.post('/jobs/:queue/:id/retry', async (req, res) => {
    const queue = queueParam(req.params.queue);
    await options.failedJobs.retryOne(queue, req.params.id, actorOf(res.locals));
    options.retries.inc({ queue, kind: 'one' });
    res.redirect(303, `/jobs?kind=job_id&q=${encodeURIComponent(req.params.id)}&notice=retried`);
  });

  router.post('/retry-failed/:queue', async (req, res) => {
    const queue = queueParam(req.params.queue);
    const result = await options.failedJobs.retryAllFailed(queue, actorOf(res.locals));
    options.retries.inc({ queue, kind: 'all' }, result.retried);
    res.redirect(303, `/?notice=retried-all&count=${result.retried}`);
  });

  return router;
}
