// Guards in front of every authenticated route: response headers against framing and sniffing,
// a same-origin check for anything that changes state (HTTP Basic credentials are sent by the
// browser on cross-site form posts, so a retry button is a CSRF target), and read-only mode
// enforced on the server for bull-board and the JSON API alike; in open mode (no password), a
// check that the request is addressed to loopback (DNS rebinding).
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { describeError, type Counter } from '@socketworks/runtime';
import { isLoopbackHost } from '../config';
import { DashboardError, httpStatusFor } from '../errors';
import { SampledWarning } from './sampled-log';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function isSafeMethod(method: string): boolean {
  return SAFE_METHODS.has(method.toUpperCase());
}

export const securityHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  // Not no-referrer: with it Chromium sends `Origin: null` on same-origin form posts.
  res.setHeader('Referrer-Policy', 'same-origin');
  next();
};

/**
 * Refuses a state-changing request that a browser says comes from another site. Modern browsers
 * send `Sec-Fetch-Site`, which a page cannot forge: it decides alone. Older ones are judged by
 * `Origin` (an opaque `null` origin is refused). Requests with neither come from scripts and curl,
 * which carry their credentials deliberately.
 */
export const sameOriginForChanges: RequestHandler = (req, _res, next) => {
  if (isSafeMethod(req.method)) return next();
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string') {
    if (site === 'same-origin' || site === 'none') return next();
    return next(new DashboardError('ERR_DASHBOARD_CROSS_ORIGIN', `refused a ${req.method} from another site (Sec-Fetch-Site: ${site.slice(0, 20)})`));
  }
  const origin = req.headers.origin;
  if (typeof origin === 'string' && originHost(origin) !== req.headers.host) {
    return next(new DashboardError('ERR_DASHBOARD_CROSS_ORIGIN', `refused a ${req.method} whose Origin is not this dashboard`));
  }
  next();
};

/** The host of an Origin header; undefined for `null` and anything unparsable (both refused). */
function originHost(origin: string): string | undefined {
  if (!URL.canParse(origin)) return undefined;
  return new URL(origin).host;
}

/**
 * The hostname of a `Host` header when it names this machine's loopback (`localhost`,
 * `127.0.0.0/8`, `[::1]`, with any port or none); undefined otherwise.
 */
export function loopbackHostHeader(host: string | undefined): string | undefined {
  if (host === undefined) return undefined;
  const match = /^(\[[^\]]*\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(host.toLowerCase());
  if (!match) return undefined;
  const name = match[1]!;
  // The same names DASHBOARD_HOST may be for DASHBOARD_OPEN (an IPv6 one only in brackets here).
  return isLoopbackHost(name) ? name : undefined;
}

/**
 * DASHBOARD_OPEN only: refuses (421) every request whose `Host` is not loopback. Without a password
 * the loopback bind is the only protection, and DNS rebinding gets around it: a page on
 * attacker.example re-points its name at 127.0.0.1 and the browser then sends it the dashboard's
 * answers as same-origin (`Host: attacker.example:3030`). The port is not checked: a port forward
 * (`ssh -L 8080:127.0.0.1:3030`) sends its own, and it proves nothing about who is asking.
 */
export function loopbackHostOnly(options: { refusals: Counter<'reason'>; logger: Logger; logIntervalMs?: number }): RequestHandler {
  const refusedLog = new SampledWarning(options.logger, 'request refused: Host is not loopback (DASHBOARD_OPEN; DNS rebinding?)', 'refused', options.logIntervalMs ?? 10000);
  return (req, _res, next) => {
    if (loopbackHostHeader(req.headers.host) !== undefined) return next();
    options.refusals.inc({ reason: 'host' });
    refusedLog.warn({ host: String(req.headers.host).slice(0, 100), path: req.path });
    next(
      new DashboardError(
        'ERR_DASHBOARD_HOST_REFUSED',
        'this dashboard runs without authentication (DASHBOARD_OPEN=true) and answers only requests addressed to localhost, 127.0.0.1 or [::1]: open it at http://127.0.0.1:<port>/',
      ),
    );
  };
}

/** In read-only mode every request that is not a read is refused, whatever route it is for. */
export function readOnlyGuard(readOnly: boolean): RequestHandler {
  return (req, _res, next) => {
    if (readOnly && !isSafeMethod(req.method)) {
      return next(new DashboardError('ERR_DASHBOARD_READ_ONLY', 'the dashboard is read-only (DASHBOARD_READ_ONLY=true): nothing can be retried, removed, paused or cleaned'));
    }
    next();
  };
}

/**
 * The request the framework could not read, as a DashboardError: an undecodable %-escape in a path
 * parameter (express: `status` 400) or a query (bull-board decodes one: a bare URIError), a body
 * over the limit (body-parser: 413) or otherwise unreadable (body-parser: 400, 415). Undefined for
 * anything else. The messages are our own: the framework's quote the request.
 */
export function badRequestOf(err: unknown): DashboardError | undefined {
  const { status, statusCode, limit } = (typeof err === 'object' && err !== null ? err : {}) as { status?: unknown; statusCode?: unknown; limit?: unknown };
  const code = typeof status === 'number' ? status : statusCode;
  if (code === 413) {
    const max = typeof limit === 'number' ? ` (${limit} bytes)` : '';
    return new DashboardError('ERR_DASHBOARD_BODY_TOO_LARGE', `the request body is larger than the dashboard accepts${max}`, { cause: err });
  }
  if (err instanceof URIError || (typeof code === 'number' && code >= 400 && code < 500)) {
    const what = err instanceof URIError ? 'a malformed %-escape in its path or query' : 'its body could not be read';
    return new DashboardError('ERR_DASHBOARD_BAD_REQUEST', `the request could not be read: ${what}`, { cause: err });
  }
  return undefined;
}

/** `socketworks_dashboard_bad_requests_total`'s reason for a badRequestOf error. */
export function badRequestReason(err: DashboardError): 'bad_request' | 'body_too_large' {
  return err.code === 'ERR_DASHBOARD_BODY_TOO_LARGE' ? 'body_too_large' : 'bad_request';
}

/**
 * Last handler: a DashboardError answers with its status and code; a request the framework could
 * not read with 400 or 413, counted (`badRequests`) but not logged: it is the client's mistake,
 * not ours. Anything else is logged and answered 500 without its message (it may come from Redis
 * and name a host). HTML pages get HTML.
 */
export function errorHandler(logger: Logger, renderHtml: (status: number, message: string) => string, badRequests: Counter<'reason'>): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err);
    let status = 500;
    let body = { error: 'ERR_DASHBOARD_INTERNAL', message: 'internal error: see the dashboard logs' };
    const bad = badRequestOf(err);
    if (bad) badRequests.inc({ reason: badRequestReason(bad) });
    const known = err instanceof DashboardError ? err : bad;
    if (known) {
      status = httpStatusFor(known.code);
      body = { error: known.code, message: known.message };
    } else {
      logger.error({ err: describeError(err), method: req.method, path: req.path }, 'request failed');
    }
    res.setHeader('Cache-Control', 'no-store');
    if (req.accepts(['json', 'html']) === 'html' && !req.path.startsWith('/api/') && !req.path.startsWith('/queues/api/')) {
      res.status(status).type('html').send(renderHtml(status, body.message));
    } else {
      res.status(status).json(body);
    }
  };
}
