// The connector's error registry. Each class has one stable code, never reused for another meaning.
import { SocketworksError } from '@socketworks/runtime';

/**
 * `apps.connections.open` refused the app-level token for a reason no retry can fix
 * (`invalid_auth`, `missing_scope`, …). The app's slots stop and readiness reports it.
 */
export class SlackAuthFatalError extends SocketworksError {
  constructor(
    /** Slack's `error` string, e.g. `invalid_auth`. */
    readonly slackError: string,
    message: string,
  ) {
    super('ERR_SLACK_AUTH_FATAL', message);
  }
}

/** `apps.connections.open` failed in a way worth retrying (rate limit, Slack 5xx, network, timeout). */
export class SlackConnectionsOpenError extends SocketworksError {
  constructor(
    /** Slack's `error` string, or ours: `http_<status>`, `network`, `timeout`, `bad_response`. */
    readonly slackError: string,
    message: string,
    /** From `Retry-After`, when Slack sent one. */
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super('ERR_SLACK_CONNECTIONS_OPEN', message, options);
  }
}

/** A socket closed (or never said hello) before it could serve its slot. */
export class SocketOpenError extends SocketworksError {
  constructor(
    code: 'ERR_SOCKET_HELLO_TIMEOUT' | 'ERR_SOCKET_CLOSED_BEFORE_HELLO',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** An ack could not be written because the socket that delivered the envelope is gone. */
export class SocketNotOpenError extends SocketworksError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_SOCKET_NOT_OPEN', message, options);
  }
}

/** The job could not be written to Redis (unavailable, timeout, script error): the envelope stays unacked. */
export class EnqueueError extends SocketworksError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_CONNECTOR_ENQUEUE_FAILED', message, options);
  }
}

/**
 * An ack was refused because the slot's lease is not valid (it lapsed while the process was paused
 * or Redis was unreachable, or another replica holds it now). The job is in Redis; Slack redelivers.
 */
export class LeaseInvalidError extends SocketworksError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_SLOT_LEASE_INVALID', message, options);
  }
}

/** A cross-socket ack (another replica writes it for us) could not be arranged or was not confirmed. */
export class AckForwardError extends SocketworksError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_ACK_FORWARD_FAILED', message, options);
  }
}
