// Decides whether a failed handler run is worth retrying. The worker turns "permanent" into
// BullMQ's UnrecoverableError (one attempt, straight to the failed set) and lets "transient" go
// through the job's retries with back-off (ARCHITECTURE.md §5).
import { ErrorCode as WebApiErrorCode } from '@slack/web-api';
import { FrameworkError, MultipleListenerError, PermanentError, RateLimitedError, RespondError, type FrameworkErrorCode } from './errors';

export type ErrorKind = 'permanent' | 'transient';

/**
 * `ok:false` errors Slack returns that can succeed on a later try. Every other `ok:false` error is
 * permanent: Slack's platform errors describe the request (`channel_not_found`, `invalid_auth`,
 * `not_in_channel`, `expired_trigger_id`, `is_archived`, `invalid_blocks`, …), and sending the same
 * request again gets the same answer (PROTOCOL.md §7), so retries would only delay the failed set.
 */
export const TRANSIENT_SLACK_ERRORS: ReadonlySet<string> = new Set([
  'ratelimited',
  'rate_limited',
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
  'team_added_to_org',
]);

/** HTTP statuses that may pass on a later try; any other 4xx is permanent, any 5xx transient. */
const TRANSIENT_4XX: ReadonlySet<number> = new Set([408, 425, 429]);

/** Framework errors that are mistakes in the app or its installation, the same on every try. */
const PERMANENT_FRAMEWORK_CODES: ReadonlySet<FrameworkErrorCode> = new Set([
  'ERR_SAY_NO_CHANNEL',
  'ERR_RESPOND_NO_URL',
  'ERR_RESPOND_BAD_URL',
  'ERR_AUTHORIZE_FAILED',
  // A response_url past its 5 uses or 30 minutes stays dead: post with chat.postMessage instead.
  'ERR_RESPOND_URL_EXHAUSTED',
  'ERR_RESPOND_URL_EXPIRED',
]);

function kindOfStatus(status: number): ErrorKind {
  return status >= 400 && status < 500 && !TRANSIENT_4XX.has(status) ? 'permanent' : 'transient';
}

interface MaybeWebApiError {
  code?: unknown;
  data?: { error?: unknown };
  statusCode?: unknown;
}

/**
 * The Slack platform error string (`channel_not_found`) of a `@slack/web-api` error, found on
 * the error itself or along its `cause` chain; undefined if there is none.
 */
export function slackErrorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const web = e as MaybeWebApiError;
    if (web.code === WebApiErrorCode.PlatformError && typeof web.data?.error === 'string') return web.data.error;
  }
  return undefined;
}

/**
 * permanent: a Slack platform error outside {@link TRANSIENT_SLACK_ERRORS}, a 4xx from the Web
 * API or a `response_url` (other than 408/425/429), a {@link PermanentError}, `say()` without a
 * channel, `respond()` without a `response_url`, a failed authorization, or a
 * {@link MultipleListenerError} whose errors are all permanent.
 * transient: everything else — network errors, timeouts, 5xx, rate limits, and bugs in the app
 * (a retry after a deploy may pass; the job's attempt limit bounds the cost).
 * An error that is none of the above but wraps one (`cause`) takes the wrapped error's kind.
 */
export function classifyError(err: unknown): ErrorKind {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const kind = ownKind(e);
    if (kind) return kind;
  }
  return 'transient';
}

function ownKind(e: Error): ErrorKind | undefined {
  if (e instanceof MultipleListenerError) {
    return e.errors.every((inner) => classifyError(inner) === 'permanent') ? 'permanent' : 'transient';
  }
  if (e instanceof PermanentError) return 'permanent';
  if (e instanceof RateLimitedError) return 'transient';
  if (e instanceof RespondError && e.status !== undefined) return kindOfStatus(e.status);
  if (e instanceof FrameworkError && PERMANENT_FRAMEWORK_CODES.has(e.code)) return 'permanent';
  const web = e as MaybeWebApiError;
  switch (web.code) {
    case WebApiErrorCode.PlatformError:
      return typeof web.data?.error === 'string' && TRANSIENT_SLACK_ERRORS.has(web.data.error) ? 'transient' : 'permanent';
    case WebApiErrorCode.HTTPError:
      return typeof web.statusCode === 'number' ? kindOfStatus(web.statusCode) : 'transient';
    case WebApiErrorCode.RateLimitedError:
    case WebApiErrorCode.RequestError:
      return 'transient';
    default:
      return undefined;
  }
}

/**
 * The rate limit that stopped a run: `err` itself (or along its `cause` chain) is a
 * {@link RateLimitedError}, or it is a {@link MultipleListenerError} whose every error is one (the
 * longest wait wins). Undefined when anything else failed too: a real failure takes precedence,
 * and the job's retry will meet the pause again if it is still in force.
 */
export function rateLimitOf(err: unknown): RateLimitedError | undefined {
  if (err instanceof MultipleListenerError) {
    const limits = err.errors.map(rateLimitOf);
    if (limits.length === 0 || limits.some((l) => l === undefined)) return undefined;
    return (limits as RateLimitedError[]).reduce((a, b) => (b.retryAfterMs > a.retryAfterMs ? b : a));
  }
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof RateLimitedError) return e;
  }
  return undefined;
}
