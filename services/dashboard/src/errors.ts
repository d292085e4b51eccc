// The dashboard's own errors. Codes are stable (`ERR_DASHBOARD_<REASON>`); the HTTP layer maps
// each to a status, so a route never has to guess from a message.
import { SocketworksError } from '@socketworks/runtime';

export type DashboardErrorCode =
  /** No queue by that name (only the Socketworks queues are served). */
  | 'ERR_DASHBOARD_UNKNOWN_QUEUE'
  /** No job with that id in that queue (removed by retention, or never there). */
  | 'ERR_DASHBOARD_JOB_NOT_FOUND'
  /** No page or API route at that path. */
  | 'ERR_DASHBOARD_NO_ROUTE'
  /** Retry asked for a job that is not in the failed set (already retried, running, completed). */
  | 'ERR_DASHBOARD_JOB_NOT_FAILED'
  /** Another request (on any dashboard replica) is retrying or removing that job right now. */
  | 'ERR_DASHBOARD_JOB_BUSY'
  /** Retry asked for a job BullMQ cannot read (its stored data is not JSON): a worker could not run it either. */
  | 'ERR_DASHBOARD_JOB_UNREADABLE'
  /** A search without any of event_id, envelope_id, job_id or q, or one that is too long. */
  | 'ERR_DASHBOARD_BAD_QUERY'
  /** A request the framework could not read: a malformed %-escape in its path or query, a malformed body. */
  | 'ERR_DASHBOARD_BAD_REQUEST'
  /** A request body over the limit (4 kB for the pages' forms, 100 kB for bull-board's JSON). */
  | 'ERR_DASHBOARD_BODY_TOO_LARGE'
  /** A change was asked of a dashboard started with DASHBOARD_READ_ONLY=true. */
  | 'ERR_DASHBOARD_READ_ONLY'
  /** A state-changing request from another origin (cross-site request forgery). */
  | 'ERR_DASHBOARD_CROSS_ORIGIN'
  /** A bull-board change that would re-run or drop Slack work (retry of completed jobs, …). */
  | 'ERR_DASHBOARD_BOARD_REFUSED'
  /** DASHBOARD_OPEN: a request whose Host is not loopback (DNS rebinding). */
  | 'ERR_DASHBOARD_HOST_REFUSED'
  /** Redis is not connected: the request would wait on it, so it is answered 503 at once. */
  | 'ERR_DASHBOARD_REDIS_UNAVAILABLE'
  /** Too many failed logins from the client's address: refused (429, Retry-After), even with the right credentials. */
  | 'ERR_DASHBOARD_LOGIN_THROTTLED'
  /** The HTTP server could not listen (port taken, bad host). */
  | 'ERR_DASHBOARD_LISTEN';

export class DashboardError extends SocketworksError<DashboardErrorCode> {}

/** The HTTP status each error code answers with. */
export function httpStatusFor(code: DashboardErrorCode): number {
  switch (code) {
    case 'ERR_DASHBOARD_UNKNOWN_QUEUE':
    case 'ERR_DASHBOARD_JOB_NOT_FOUND':
    case 'ERR_DASHBOARD_NO_ROUTE':
      return 404;
    case 'ERR_DASHBOARD_JOB_NOT_FAILED':
    case 'ERR_DASHBOARD_JOB_BUSY':
    case 'ERR_DASHBOARD_JOB_UNREADABLE':
      return 409;
    case 'ERR_DASHBOARD_BAD_QUERY':
    case 'ERR_DASHBOARD_BAD_REQUEST':
      return 400;
    case 'ERR_DASHBOARD_READ_ONLY':
    case 'ERR_DASHBOARD_CROSS_ORIGIN':
    case 'ERR_DASHBOARD_BOARD_REFUSED':
      return 403;
    case 'ERR_DASHBOARD_BODY_TOO_LARGE':
      return 413;
    case 'ERR_DASHBOARD_HOST_REFUSED':
      return 421;
    case 'ERR_DASHBOARD_LOGIN_THROTTLED':
      return 429;
    case 'ERR_DASHBOARD_REDIS_UNAVAILABLE':
      return 503;
    case 'ERR_DASHBOARD_LISTEN':
      return 500;
  }
}
