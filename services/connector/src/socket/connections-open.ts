// `apps.connections.open` (PROTOCOL.md §1): trades the app-level token for a one-off WebSocket URL.
// Every failure is classified here, once: fatal (the token or the app is unusable; retrying only
// burns the Tier-1 rate limit) or retryable (rate limit, Slack 5xx, network, timeout).
import { SlackAuthFatalError, SlackConnectionsOpenError } from '../errors';

/**
 * Errors no retry can fix. Node's SDK stops on the first five (UnrecoverableSocketModeStartError);
 * the rest are documented Web API auth errors that mean the same for an operator.
 */
const FATAL_ERRORS: Readonly<Record<string, string>> = {
  invalid_auth: 'the token is not valid: generate a new app-level token (scope connections:write) and set SLACK_APP_TOKEN',
  not_authed: 'no token reached Slack: check SLACK_APP_TOKEN',
  token_revoked: 'the token was revoked: generate a new app-level token (scope connections:write) and set SLACK_APP_TOKEN',
  token_expired: 'the token expired: generate a new app-level token (scope connections:write) and set SLACK_APP_TOKEN',
  account_inactive: 'the app or its workspace is no longer active',
  user_removed_from_team: 'the app was removed from the workspace',
  team_disabled: 'the workspace is disabled',
  forbidden_team: 'the workspace does not allow this app to open Socket Mode connections',
  missing_scope: 'the app-level token lacks the connections:write scope: add it in the app settings',
  not_allowed_token_type: 'SLACK_APP_TOKEN is not an app-level (xapp-) token',
  no_permission: 'the token has no permission to open Socket Mode connections',
  ekm_access_denied: 'the workspace administrators have suspended this app (EKM)',
};

export function isFatalSlackError(error: string): boolean {
  return Object.prototype.hasOwnProperty.call(FATAL_ERRORS, error);
}

export interface ConnectionsOpenOptions {
  /** Web API base with a trailing `/` (`SLACK_API_URL`). */
  apiUrl: string;
  appToken: string;
  /** Per-request bound: a hung Slack edge must not stall the slot. @defaultValue 10000 */
  timeoutMs?: number;
  /** Aborts the call (the slot is stopping). */
  signal?: AbortSignal;
  /** For tests only. @defaultValue globalThis.fetch */
  fetch?: typeof fetch;
}

/**
 * Returns the `wss://` URL for one new connection. Throws {@link SlackAuthFatalError} or
 * {@link SlackConnectionsOpenError}; never anything else.
 */
export async function openConnectionUrl(options: ConnectionsOpenOptions): Promise<string> {
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 10000;
  let response: Response;
  try {
    response = await doFetch(`${options.apiUrl}apps.connections.open`, {
      method: 'POST',
      // The token goes in the header only: as a form field Slack rejects it (PROTOCOL.md §1).
      headers: { authorization: `Bearer ${options.appToken}`, 'content-type': 'application/x-www-form-urlencoded' },
      signal: options.signal ? AbortSignal.any([options.signal, AbortSignal.timeout(timeoutMs)]) : AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const aborted = options.signal?.aborted === true;
    const timedOut = !aborted && err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    throw new SlackConnectionsOpenError(
      aborted ? 'aborted' : timedOut ? 'timeout' : 'network',
      aborted
        ? 'apps.connections.open aborted'
        : timedOut
          ? `apps.connections.open did not answer within ${timeoutMs} ms`
          : 'apps.connections.open request failed (network)',
      undefined,
      { cause: err },
    );
  }
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
  let body: unknown;
  try {
    body = await response.json();
  } catch (err) {
    throw new SlackConnectionsOpenError(
      response.ok ? 'bad_response' : `http_${response.status}`,
      `apps.connections.open answered HTTP ${response.status} without a JSON body`,
      retryAfterMs,
      { cause: err },
    );
  }
  const result = (typeof body === 'object' && body !== null ? body : {}) as { ok?: unknown; url?: unknown; error?: unknown };
  if (result.ok === true && typeof result.url === 'string' && isWebSocketUrl(result.url)) {
    return result.url;
  }
  if (result.ok === true) {
    throw new SlackConnectionsOpenError('bad_response', 'apps.connections.open answered ok without a ws:// or wss:// url', retryAfterMs);
  }
  const error = typeof result.error === 'string' && /^[a-z0-9_]{1,64}$/.test(result.error) ? result.error : `http_${response.status}`;
  if (isFatalSlackError(error)) {
    throw new SlackAuthFatalError(error, `apps.connections.open refused SLACK_APP_TOKEN (${error}): ${FATAL_ERRORS[error]}`);
  }
  const retryable = response.status === 429 ? 'rate limited' : 'retrying';
  throw new SlackConnectionsOpenError(error, `apps.connections.open failed (${error}, HTTP ${response.status}): ${retryable}`, retryAfterMs);
}

function isWebSocketUrl(url: string): boolean {
  try {
    const protocol = new URL(url).protocol;
    return protocol === 'wss:' || protocol === 'ws:';
  } catch {
    return false;
  }
}

/**
 * The longest `Retry-After` honoured. Slack asks for seconds to a minute; a larger value comes from
 * a broken proxy and would otherwise keep the slot without a socket for days (or, past 2^31 ms,
 * overflow the timer into a 1 ms retry loop).
 */
export const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

/** `Retry-After` in seconds (Slack's form); an HTTP date is honoured too. Capped at MAX_RETRY_AFTER_MS. */
export function parseRetryAfter(header: string | null): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(MAX_RETRY_AFTER_MS, Math.round(seconds * 1000));
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.min(MAX_RETRY_AFTER_MS, Math.max(0, date - Date.now()));
}
