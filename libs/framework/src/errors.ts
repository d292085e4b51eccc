// The framework's error registry. Every error has a stable `code` (never reused for another
// meaning) and keeps what it wraps in the standard `cause`.
import { SocketworksError } from '@socketworks/runtime';

export type FrameworkErrorCode =
  /** A listener constraint (`app.action({...})` etc.) has a key or value the framework does not know. */
  | 'ERR_APP_INVALID_CONSTRAINT'
  /** `app.event()` etc. was called without a listener function. */
  | 'ERR_APP_NO_LISTENER'
  /** A middleware called `next()` twice. */
  | 'ERR_MIDDLEWARE_NEXT_TWICE'
  /** More than one matching listener failed; `errors` holds each. */
  | 'ERR_LISTENER_MULTIPLE'
  /** A listener threw something that is not an Error; the value is in `cause`. */
  | 'ERR_LISTENER_NON_ERROR'
  /** The installation store had no bot token for the payload's team / enterprise. */
  | 'ERR_AUTHORIZE_FAILED'
  /** `say()` was called for a payload that names no channel (a modal submission, say). */
  | 'ERR_SAY_NO_CHANNEL'
  /** `respond()` was called for a payload without a `response_url`. */
  | 'ERR_RESPOND_NO_URL'
  /** `response_url` answered with a non-2xx status; `status` holds it. */
  | 'ERR_RESPOND_STATUS'
  /** `response_url` could not be reached (network error, timeout). */
  | 'ERR_RESPOND_REQUEST'
  /** The payload's `response_url` is not an http(s) URL: nothing was posted, no use was taken. */
  | 'ERR_RESPOND_BAD_URL'
  /** An app declared its own failure permanent: the job fails without retries. */
  | 'ERR_APP_PERMANENT'
  /**
   * Slack answered 429 for this (team, method), or an earlier 429 paused it and the pause is still
   * in force (`paused: true`, Slack was not called). The worker delays the job; it is not a failure.
   */
  | 'ERR_SLACK_RATE_LIMITED'
  /** The `response_url` was used its 5 times already (by this job's earlier attempts or others). */
  | 'ERR_RESPOND_URL_EXHAUSTED'
  /** The `response_url` is older than its 30 minutes (from the envelope's `received_at`). */
  | 'ERR_RESPOND_URL_EXPIRED'
  /** Reading or writing the job's recorded effects, pauses or response_url uses in Redis failed. */
  | 'ERR_JOB_STATE_UNAVAILABLE'
  /** The installation store could not be read (Redis down): the job is retried. */
  | 'ERR_INSTALLATION_STORE_UNAVAILABLE'
  /** An installation to save lacks a field it needs (a bot token, a team or enterprise id). */
  | 'ERR_INSTALLATION_INVALID';

export class FrameworkError extends SocketworksError<FrameworkErrorCode> {}

/** Several listeners matched and more than one failed. Each original error is kept. */
export class MultipleListenerError extends FrameworkError {
  constructor(readonly errors: readonly Error[]) {
    super('ERR_LISTENER_MULTIPLE', `${errors.length} listeners failed: ${errors.map((e) => e.message).join('; ')}`, { cause: errors[0] });
  }
}

/** A failed `response_url` POST. `status` is the HTTP status, absent when no response came. */
export class RespondError extends FrameworkError {
  constructor(
    code: 'ERR_RESPOND_STATUS' | 'ERR_RESPOND_REQUEST' | 'ERR_RESPOND_NO_URL' | 'ERR_RESPOND_BAD_URL' | 'ERR_RESPOND_URL_EXHAUSTED' | 'ERR_RESPOND_URL_EXPIRED',
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/**
 * A Web API call refused for a rate limit: Slack's 429 (`paused: false`), or a pause another call's
 * 429 put on this (team, method) across all workers (`paused: true`, no request was sent). It is
 * flow control, not a failure: `dispatch` rethrows it without the app's error handler, and the
 * worker moves the job to the delayed set for `retryAfterMs` without using up an attempt.
 */
export class RateLimitedError extends FrameworkError {
  constructor(
    readonly method: string,
    readonly teamId: string,
    readonly retryAfterMs: number,
    readonly paused: boolean,
    options?: { cause?: unknown },
  ) {
    super(
      'ERR_SLACK_RATE_LIMITED',
      paused
        ? `${method} is paused for team ${teamId} by an earlier rate limit for ${retryAfterMs} ms more; not called`
        : `Slack rate limited ${method} for team ${teamId}; retry after ${retryAfterMs} ms`,
      options,
    );
  }
}

/**
 * Thrown by an app to say "retrying will not help": the worker fails the job at once (one
 * attempt), and the failed set shows this message. Apps cannot import BullMQ (module boundaries),
 * so this is how they reach `UnrecoverableError`.
 */
export class PermanentError extends FrameworkError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_APP_PERMANENT', message, options);
  }
}

/** Anything thrown, as an Error (listeners may throw strings). */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new FrameworkError('ERR_LISTENER_NON_ERROR', `listener threw a non-Error value: ${String(thrown).slice(0, 200)}`, { cause: thrown });
}
