// One `WebClient` per bot token, configured for running inside queue jobs. Every call of a client
// made while a job runs goes through that job's scope (job-scope.ts): recorded effects, shared
// rate-limit pauses. Outside a job (no scope) a call is a plain WebClient call.
import { LogLevel, WebClient, WebClientEvent, type WebAPICallResult, type Logger as SlackLogger } from '@slack/web-api';
import type { Logger } from '@socketworks/runtime';
import { currentJobScope } from './job-scope';
import { webApiAdapter } from './web-api-adapter';

/** A WebClient whose every method (they all end in `apiCall`) consults the running job's scope. */
class JobAwareWebClient extends WebClient {
  override async apiCall(method: string, options: Record<string, unknown> = {}): Promise<WebAPICallResult> {
    const scope = currentJobScope();
    if (!scope) return super.apiCall(method, options);
    return scope.webApiCall(method, options, (m, o) => super.apiCall(m, o));
  }
}

export interface RateLimitedInfo {
  /** The Web API method, e.g. `chat.postMessage`. */
  method: string;
  retryAfterSeconds: number;
}

export interface WebClientsOptions {
  /** `SLACK_API_URL`. @defaultValue 'https://slack.com/api/' */
  slackApiUrl?: string;
  logger: Logger;
  /** Per-request timeout. @defaultValue 10000 */
  timeoutMs?: number;
  /** Called on every 429 (the call itself then rejects with `slack_webapi_rate_limited_error`). */
  onRateLimited?: (info: RateLimitedInfo) => void;
  /** Clients kept (one per token); the oldest is dropped past this. @defaultValue 1000 */
  maxClients?: number;
}

export class WebClients {
  readonly #clients = new Map<string, WebClient>();
  readonly #options: WebClientsOptions;
  readonly #slackApiUrl: string;

  constructor(options: WebClientsOptions) {
    this.#options = options;
    const url = options.slackApiUrl ?? 'https://slack.com/api/';
    this.#slackApiUrl = url.endsWith('/') ? url : `${url}/`;
  }

  /** The client for `token`; `''` gives a client without a token (events not authorized). */
  get(token: string): WebClient {
    const cached = this.#clients.get(token);
    if (cached) return cached;
    const client = this.#create(token);
    this.#clients.set(token, client);
    if (this.#clients.size > (this.#options.maxClients ?? 1000)) {
      const oldest = this.#clients.keys().next().value;
      if (oldest !== undefined) this.#clients.delete(oldest);
    }
    return client;
  }

  #create(token: string): WebClient {
    const client = new JobAwareWebClient(token || undefined, {
      slackApiUrl: this.#slackApiUrl,
      logger: slackLoggerFor(this.#options.logger),
      timeout: this.#options.timeoutMs ?? 10000,
      // node:http kept-alive connections for plain calls instead of axios' own transport.
      adapter: webApiAdapter,
      // A 429 rejects at once instead of pausing this client's whole request queue for every team
      // and method while it sleeps (PROTOCOL.md §7.2): the job scope pauses that (team, method) in
      // Redis and the worker delays the job, so no worker slot sleeps.
      rejectRateLimitedCalls: true,
      // No retries inside the client: the job's attempts are the retry mechanism (back-off in
      // Redis, visible in the dashboard, bounded). The client's default, ten retries over ~30
      // minutes, would hold a job and its lock that long — and a retry after a dropped connection
      // can post a message twice, while a job retry first looks for the message (job-scope.ts).
      retryConfig: { retries: 0 },
    });
    const onRateLimited = this.#options.onRateLimited;
    if (onRateLimited) {
      client.on(WebClientEvent.RATE_LIMITED, (retrySec: number, request: { url?: string }) => {
        const url = typeof request?.url === 'string' ? request.url : '';
        const method = url.startsWith(this.#slackApiUrl) ? url.slice(this.#slackApiUrl.length) : url.split('/').pop() || 'unknown';
        onRateLimited({ method, retryAfterSeconds: retrySec });
      });
    }
    return client;
  }
}

/**
 * Debug lines of @slack/web-api that carry whole request or response bodies (message text, user
 * data): never written, at any level (STYLE.md: no raw bodies in logs).
 */
const BODY_LINE = /^http request (body|result):/;

/** @slack/web-api's logger interface over pino, so its lines are JSON like ours. */
function slackLoggerFor(logger: Logger): SlackLogger {
  const child = logger.child({ component: 'slack-web-api' });
  const line = (parts: unknown[]) => parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join(' ');
  let level = LogLevel.INFO;
  return {
    debug: (...msg: unknown[]) => {
      if (child.isLevelEnabled('debug') && !(typeof msg[0] === 'string' && BODY_LINE.test(msg[0]))) child.debug(line(msg));
    },
    info: (...msg: unknown[]) => child.info(line(msg)),
    warn: (...msg: unknown[]) => child.warn(line(msg)),
    error: (...msg: unknown[]) => child.error(line(msg)),
    // pino's level (LOG_LEVEL) decides what is written; these only satisfy the interface.
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}
