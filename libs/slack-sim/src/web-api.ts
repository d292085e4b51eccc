// `POST /api/<method>`: apps.connections.open (app token, hands out socket URLs) and the worker
// methods (bot token). Tokens, injected failures (rate limits, whose windows rate-limiter.ts keeps;
// connection-open errors) and body decoding are handled here; the methods themselves are in
// web-methods.ts. Every call is recorded.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLargeError, bearerToken, decodeBody, readBody, sendJson } from './http-io';
import { nowMs } from './ids';
import { RateLimiter } from './rate-limiter';
import type { WebMethods } from './web-methods';
import type { ApiCall, ApiLatencyRule, RateLimitRule } from './types';

const MAX_BODY_BYTES = 1024 * 1024;

export interface WebApiOptions {
  /** Accepted xapp- tokens; undefined accepts any `xapp-…`. */
  appTokens?: readonly string[];
  /** Accepted xoxb- tokens; undefined accepts any `xoxb-…`. */
  botTokens?: readonly string[];
  methods: WebMethods;
  /** Issues a socket ticket and returns the URL apps.connections.open answers with. */
  connectionUrl(): string;
  record(call: ApiCall): void;
  badRequest(): void;
}

interface ConnectionsOpenError {
  error: string;
  remaining: number;
  httpStatus?: number;
}

interface Reply {
  status: number;
  body: Record<string, unknown> | null;
  headers?: Record<string, string>;
}

export class WebApi {
  private readonly rateLimiter = new RateLimiter();
  private latency: ApiLatencyRule | null = null;
  private openError: ConnectionsOpenError | null = null;
  private readonly appTokens: ReadonlySet<string> | undefined;
  private readonly botTokens: ReadonlySet<string> | undefined;

  constructor(private readonly options: WebApiOptions) {
    this.appTokens = options.appTokens ? new Set(options.appTokens) : undefined;
    this.botTokens = options.botTokens ? new Set(options.botTokens) : undefined;
  }

  setRateLimit(rule: RateLimitRule | null): void {
    this.rateLimiter.set(rule);
  }

  setApiLatency(rule: ApiLatencyRule | null): void {
    this.latency = rule && rule.ms > 0 ? { ...rule } : null;
  }

  setConnectionsOpenError(error: string | null, opts: { count?: number; httpStatus?: number } = {}): void {
    this.openError = error === null ? null : { error, remaining: opts.count ?? Infinity, httpStatus: opts.httpStatus };
  }

  async handle(req: IncomingMessage, res: ServerResponse, method: string, query: URLSearchParams): Promise<void> {
    const at = nowMs();
    let text: string;
    try {
      text = await readBody(req, MAX_BODY_BYTES);
    } catch (err) {
      this.options.badRequest();
      const error = err instanceof BodyTooLargeError ? 'request_too_large' : 'request_failed';
      this.finish(res, { method, at, args: {} }, { status: err instanceof BodyTooLargeError ? 413 : 400, body: { ok: false, error } });
      return;
    }
    const call: Omit<ApiCall, 'ok' | 'status'> = { method, at, args: {} };
    const reply = this.answer(req, method, query, text, call);
    const latency = this.latency;
    if (latency && (latency.method === '*' || latency.method === method)) {
      // The call has taken effect (a message is stored); only the answer is late. A client that
      // went away meanwhile gets nothing, and the call is recorded as made, as Slack made it.
      await new Promise((resolve) => setTimeout(resolve, latency.ms));
    }
    this.finish(res, call, reply);
  }

  private answer(req: IncomingMessage, method: string, query: URLSearchParams, text: string, call: Omit<ApiCall, 'ok' | 'status'>): Reply {
    if (method === 'apps.connections.open') return this.connectionsOpen(req, call);
    if (!this.options.methods.names.has(method)) return okFalse('unknown_method');
    const limited = this.takeRateLimit(method, call);
    if (limited) return limited;

    let args: Record<string, unknown>;
    let form = true;
    if (req.method === 'POST') {
      const decoded = decodeBody(req.headers['content-type'], text);
      if (!decoded.ok) {
        this.options.badRequest();
        return okFalse(decoded.error);
      }
      args = decoded.value;
      form = decoded.form;
    } else {
      args = Object.fromEntries(query);
    }
    // Slack reads a token argument from form and query strings, never from a JSON body.
    const bodyToken = form && typeof args.token === 'string' ? args.token : undefined;
    const { token: _dropped, ...rest } = args;
    call.args = rest;
    const token = bearerToken(req) ?? bodyToken;
    if (token !== undefined) call.token = token;
    if (!token) return okFalse('not_authed');
    if (this.isAppToken(token) && method !== 'auth.test') return okFalse('not_allowed_token_type');
    if (!this.isBotToken(token) && !(method === 'auth.test' && this.isAppToken(token))) return okFalse('invalid_auth');
    const result = this.options.methods.call(method, rest);
    return { status: 200, body: result };
  }

  /** apps.connections.open takes the app token from the Authorization header only (PROTOCOL.md §1). */
  private connectionsOpen(req: IncomingMessage, call: Omit<ApiCall, 'ok' | 'status'>): Reply {
    const token = bearerToken(req);
    if (token !== undefined) call.token = token;
    if (req.method !== 'POST') return okFalse('insecure_request');
    const limited = this.takeRateLimit('apps.connections.open', call);
    if (limited) return limited;
    const injected = this.takeOpenError();
    if (injected) return injected;
    if (!token) return okFalse('not_authed');
    if (this.isBotToken(token)) return okFalse('not_allowed_token_type');
    if (!this.isAppToken(token)) return okFalse('invalid_auth');
    return { status: 200, body: { ok: true, url: this.options.connectionUrl() } };
  }

  /** A 429 when a rate-limit rule refuses the call (rate-limiter.ts); marks calls that came early. */
  private takeRateLimit(method: string, call: Omit<ApiCall, 'ok' | 'status'>): Reply | undefined {
    const verdict = this.rateLimiter.take(method, call.at);
    if (!verdict) return undefined;
    if (verdict.early) call.early = true;
    return { status: 429, body: { ok: false, error: 'ratelimited' }, headers: { 'retry-after': String(verdict.retryAfterSeconds) } };
  }

  private takeOpenError(): Reply | undefined {
    const injected = this.openError;
    if (!injected) return undefined;
    injected.remaining -= 1;
    if (injected.remaining <= 0) this.openError = null;
    if (injected.httpStatus !== undefined) return { status: injected.httpStatus, body: null };
    if (injected.error === 'ratelimited') return { status: 429, body: { ok: false, error: 'ratelimited' }, headers: { 'retry-after': '1' } };
    return okFalse(injected.error);
  }

  private isAppToken(token: string): boolean {
    return this.appTokens ? this.appTokens.has(token) : token.startsWith('xapp-');
  }

  private isBotToken(token: string): boolean {
    return this.botTokens ? this.botTokens.has(token) : token.startsWith('xoxb-');
  }

  private finish(res: ServerResponse, call: Omit<ApiCall, 'ok' | 'status'>, reply: Reply): void {
    const body = reply.body;
    const ok = body !== null && body.ok === true;
    const record: ApiCall = { ...call, ok, status: reply.status };
    if (!ok) record.error = body && typeof body.error === 'string' ? body.error : `http_${reply.status}`;
    // The client may have gone away during an injected latency: nobody to answer then.
    const gone = res.destroyed || res.socket?.destroyed === true;
    if (gone) {
      this.options.record(record);
      return;
    }
    if (body === null) {
      res.writeHead(reply.status, { 'content-length': '0', ...reply.headers });
      res.end();
    } else {
      sendJson(res, reply.status, body, reply.headers);
    }
    this.options.record(record);
  }
}

function okFalse(error: string): Reply {
  return { status: 200, body: { ok: false, error } };
}
