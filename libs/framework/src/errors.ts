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
  /** An app declared its own failure permanent: the job fails without retries. */
  | 'ERR_APP_PERMANENT';

export class FrameworkError extends SocketworksError {
  declare readonly code: FrameworkErrorCode;
  constructor(code: FrameworkErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** Several listeners matched and more than one failed. Each original error is kept. */
export class MultipleListenerError extends FrameworkError {
  constructor(readonly errors: readonly Error[]) {
    super('ERR_LISTENER_MULTIPLE', `${errors.length} listeners failed: ${errors.map((e) => e.message).join('; ')}`, { cause: errors[0] });
  }
}

/** A failed `response_url` POST. `status` is the HTTP status, absent when no response came. */
export class RespondError extends FrameworkError {
  constructor(
    code: 'ERR_RESPOND_STATUS' | 'ERR_RESPOND_REQUEST' | 'ERR_RESPOND_NO_URL',
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
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
