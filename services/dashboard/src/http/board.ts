// bull-board over every Socketworks queue, mounted at /queues behind the dashboard's
// authentication. Around it:
// - every API answer is redacted (job data, failedReason, stack traces), so bull-board shows no
//   more than our own pages do;
// - its retries and its removal of one job are served by the dashboard's FailedJobs instead of
//   bull-board's handlers: only a failed job is retried, and it gets its attempts back as it does
//   from our pages (bull-board's own retry keeps `attemptsMade` and also re-runs completed jobs,
//   which breaks "one Slack event → one handler run"); only a failed job is removed, its state
//   checked and the job removed under a per-job lock that retries take too;
// - every other change bull-board offers goes through an allowlist in its `before` hook
//   (`boardPolicy`): pause, resume, promote, and cleaning the failed set. Anything else is refused
//   in every mode, including routes a bull-board upgrade may add: adding a job or editing its data
//   makes a worker run a payload Slack never sent, and obliterate, empty or cleaning waiting,
//   delayed or active jobs drop envelopes that were already acked (ARCHITECTURE.md: nothing acked
//   is ever lost), while cleaning completed jobs drops the ids that dedupe Slack's redeliveries;
// - read-only mode is enforced by bull-board itself (`readOnlyMode`), by the `before` hook and by
//   the routes served here (403), behind the dashboard's own guard in front of every route;
// - a job BullMQ cannot parse is listed and shown as unreadable (`readJob`) instead of failing its
//   whole list, and bull-board's error answers never carry an error's message (see boardError).
import { Router, type Express, type Request } from 'express';
import type { Job, JobType, Queue } from 'bullmq';
import type { Logger } from 'pino';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import type { BeforeHookResult, ControllerHandlerReturnType, HookContext, HTTPStatus, JobStatus } from '@bull-board/api/typings/app';
import { ExpressAdapter } from '@bull-board/express';
import { QUEUE_NAMES, type QueueName } from '@socketworks/protocol';
import { describeError, type Counter } from '@socketworks/runtime';
import { DashboardError, httpStatusFor } from '../errors';
import { whyNotRemoved, type FailedJobs } from '../jobs/failed-jobs';
import { readJob } from '../jobs/unreadable-job';
import { redactForDisplay } from '../redact';
import { actorOf } from './auth';
import { queueParam } from './api-routes';
import { badRequestOf, badRequestReason } from './security';

export const BOARD_BASE_PATH = '/queues';

/** bull-board's retry routes and its removal of one job, answered here by FailedJobs before bull-board sees them. */
export const RETRY_ONE_ROUTE = '/api/queues/:queueName/:jobId/retry';
export const RETRY_ALL_ROUTE = '/api/queues/:queueName/retry/:queueStatus';
const CLEAN_ONE_ROUTE = '/api/queues/:queueName/:jobId/clean';
const CLEAN_ALL_ROUTE = '/api/queues/:queueName/clean/:queueStatus';

/**
 * The only changes bull-board itself may make: none of them runs a job twice or drops one that has
 * not run. Cleaning is further limited to the failed set (see `boardPolicy`); its script removes
 * only jobs still in that set.
 */
export const ALLOWED_BOARD_CHANGES: ReadonlySet<string> = new Set([
  '/api/queues/pause',
  '/api/queues/resume',
  '/api/queues/:queueName/pause',
  '/api/queues/:queueName/resume',
  // Delayed → waiting: a back-off cut short, the job still runs once.
  '/api/queues/:queueName/promote',
  '/api/queues/:queueName/:jobId/promote',
  CLEAN_ALL_ROUTE,
]);

/**
 * The one state whose jobs may be removed: failed jobs will not run again. Completed jobs stay: a
 * completed job's id is its envelope's dedupe key until it expires with the dedupe window, and
 * removing it early would let a redelivery of that Slack event run the handler a second time.
 */
const CLEANABLE = new Set(['failed']);

const DESCRIPTIONS: Record<QueueName, string> = {
  events: 'Events API envelopes (job id ev-<event_id>)',
  interactive: 'Interactivity: block actions, shortcuts, view submissions (env-<envelope_id>)',
  commands: 'Slash commands (env-<envelope_id>)',
  sync: 'Sync lane: envelopes whose ack carries the answer (env-<envelope_id>)',
};

export type BoardRefusalReason = 'route' | 'state' | 'read_only';

export interface BoardOptions {
  queues: Readonly<Record<QueueName, Queue>>;
  readOnly: boolean;
  /** Serves bull-board's retry buttons and its removal of one job: failed jobs only, attempts reset on retry. */
  failedJobs: FailedJobs;
  /** Jobs retried (kind `one`, `all`), shared with our pages and API. */
  retries: Counter<'queue' | 'kind'>;
  /** Changes refused by the policy here, by reason. */
  refusals: Counter<'reason'>;
  /** Requests to bull-board's API the framework could not read (shared with the dashboard's error handler). */
  badRequests: Counter<'reason'>;
  logger: Logger;
}

const refusal = (status: 403, message: string): BeforeHookResult => ({ allow: false, status, message });

/**
 * Decides whether bull-board may serve a request (its `before` hook): only reads (GET) and the
 * allowlisted changes get through, and a clean only of the failed set.
 */
export function boardPolicy(context: HookContext, options: Pick<BoardOptions, 'readOnly'>): { allow: true } | { allow: false; status: 403; message: string; reason: BoardRefusalReason } {
  const { method, route } = context;
  const params = context.request.params as Record<string, string | undefined>;
  if (method === 'get') return { allow: true };
  if (options.readOnly) return { allow: false, status: 403, reason: 'read_only', message: 'the dashboard is read-only (DASHBOARD_READ_ONLY=true)' };
  if (!ALLOWED_BOARD_CHANGES.has(route)) {
    return {
      allow: false,
      status: 403,
      reason: 'route',
      message: `refused by Socketworks: ${method.toUpperCase()} ${route} could forge, re-run or drop Slack work (allowed: pause, resume, promote, clean failed, retry failed)`,
    };
  }
  if (route === CLEAN_ALL_ROUTE && !CLEANABLE.has(params.queueStatus ?? '')) {
    return {
      allow: false,
      status: 403,
      reason: 'state',
      message: `refused by Socketworks: cleaning ${String(params.queueStatus).slice(0, 20)} jobs ${whyNotRemoved(params.queueStatus)}; only failed jobs can be cleaned`,
    };
  }
  return { allow: true };
}

export function createBoardRouter(options: BoardOptions): Router {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(BOARD_BASE_PATH);
  createBullBoard({
    queues: QUEUE_NAMES.map((name) => {
      // `allowCompletedRetries` (hides "retry" on completed jobs, which we refuse) is read by
      // bull-board's base adapter but missing from BullMQAdapter's option type: passed as a variable.
      const adapterOptions = { readOnlyMode: options.readOnly, allowRetries: !options.readOnly, allowCompletedRetries: false, description: DESCRIPTIONS[name] };
      return new ReadableJobsAdapter(options.queues[name], adapterOptions);
    }),
    serverAdapter,
    options: {
      uiConfig: {
        boardTitle: 'Socketworks',
        hideDocsLink: true,
        miscLinks: [
          { text: 'Find a job by Slack id', url: '/jobs' },
          { text: 'Queue overview', url: '/' },
        ],
      },
      handlerHooks: {
        before: async (context) => {
          const decision = boardPolicy(context, options);
          if (decision.allow) return { allow: true };
          options.refusals.inc({ reason: decision.reason });
          return refusal(decision.status, decision.message);
        },
        after: (_context, result) => ({ ...result, body: redactForDisplay(result.body) as typeof result.body }),
      },
    },
  });

  // Set after createBullBoard, which sets bull-board's own; its API router looks it up per error.
  serverAdapter.setErrorHandler((err) => boardError(err, options));
  // bull-board's routes run in an Express app of its own, which would announce itself.
  (serverAdapter.getRouter() as Express).disable('x-powered-by');

  const router = Router();
  router.put(RETRY_ALL_ROUTE, async (req, res) => {
    const queue = writableQueue(req, options);
    if (req.params.queueStatus !== 'failed') {
      options.refusals.inc({ reason: 'state' });
      throw new DashboardError(
        'ERR_DASHBOARD_BOARD_REFUSED',
        `refused by Socketworks: retrying ${String(req.params.queueStatus).slice(0, 20)} jobs would run their handlers again; only failed jobs can be retried`,
      );
    }
    const result = await options.failedJobs.retryAllFailed(queue, actorOf(res.locals));
    options.retries.inc({ queue, kind: 'all' }, result.retried);
    res.json(result);
  });
  router.put(RETRY_ONE_ROUTE, async (req, res) => {
    const queue = writableQueue(req, options);
    // 409 ERR_DASHBOARD_JOB_NOT_FAILED for a completed (or waiting, active…) job.
    await refusedForState(options, options.failedJobs.retryOne(queue, String(req.params.jobId), actorOf(res.locals)));
    options.retries.inc({ queue, kind: 'one' });
    res.status(204).end();
  });
  router.put(CLEAN_ONE_ROUTE, async (req, res) => {
    const queue = writableQueue(req, options);
    // 409 ERR_DASHBOARD_JOB_NOT_FAILED for any other state, ERR_DASHBOARD_JOB_BUSY while another
    // request retries or removes it.
    await refusedForState(options, options.failedJobs.removeOne(queue, String(req.params.jobId), actorOf(res.locals)));
    res.status(204).end();
  });
  router.use(serverAdapter.getRouter() as Router);
  return router;
}

/** Counts a change refused for its job's state (`refusals{reason="state"}`), as the `before` hook counts its own. */
async function refusedForState(options: BoardOptions, change: Promise<void>): Promise<void> {
  try {
    await change;
  } catch (err) {
    if (err instanceof DashboardError && err.code === 'ERR_DASHBOARD_JOB_NOT_FAILED') options.refusals.inc({ reason: 'state' });
    throw err;
  }
}

function writableQueue(req: Request, options: BoardOptions): QueueName {
  if (options.readOnly) {
    options.refusals.inc({ reason: 'read_only' });
    throw new DashboardError('ERR_DASHBOARD_READ_ONLY', 'the dashboard is read-only (DASHBOARD_READ_ONLY=true)');
  }
  return queueParam(req.params.queueName as string | undefined);
}

/**
 * bull-board's adapter, reading jobs through `readJob`: a job BullMQ cannot parse is listed and
 * shown as an UnreadableJob, instead of failing the whole list with a parse error.
 */
class ReadableJobsAdapter extends BullMQAdapter {
  private readonly source: Queue;

  constructor(queue: Queue, options: ConstructorParameters<typeof BullMQAdapter>[1]) {
    super(queue, options);
    this.source = queue;
  }

  override getJob(id: string): Promise<Job | undefined> {
    return readJob(this.source, id);
  }

  override async getJobs(statuses: JobStatus[], start?: number, end?: number): Promise<Job[]> {
    try {
      return await super.getJobs(statuses, start, end);
    } catch {
      // A job of the page cannot be parsed (or Redis failed, and this fails the same way): read
      // the page's jobs one by one.
      const ids = await this.source.getRanges(statuses as JobType[], start, end, false);
      const jobs = await Promise.all(ids.map((id) => readJob(this.source, id)));
      return jobs.filter((job): job is Job => job !== undefined);
    }
  }
}

/**
 * bull-board's answer when one of its routes throws, in its shape. Its own puts the error's
 * message in the body, and a job BullMQ could not parse made that the first bytes of the job's
 * data. A request the framework could not read keeps its 400 or 413, counted as the dashboard's
 * own are; anything else is logged and answered 500 without its message.
 */
function boardError(err: Error, options: BoardOptions): ControllerHandlerReturnType {
  const bad = badRequestOf(err);
  if (bad) {
    options.badRequests.inc({ reason: badRequestReason(bad) });
    const key = err instanceof URIError ? 'ERRORS.INVALID_QUERY_PARAM' : 'ERRORS.INVALID_REQUEST_BODY';
    // 413 is missing from bull-board's HTTPStatus type; its Express adapter sends any status.
    return { status: httpStatusFor(bad.code) as HTTPStatus, body: { error: { key }, code: bad.code, message: bad.message } };
  }
  options.logger.error({ err: describeError(err) }, 'bull-board request failed');
  return { status: 500, body: { error: { key: 'ERRORS.INTERNAL_SERVER_ERROR' }, message: 'internal error: see the dashboard logs' } };
}
