// Authentication for everything but /healthz, /readyz and /metrics: HTTP Basic (people, in a
// browser) and/or a bearer token (scripts). Secrets are compared as SHA-256 digests with
// `timingSafeEqual`, so neither their content nor their length leaks through timing. Failed logins
// are throttled per client address (login-throttle.ts): past the limit every attempt from it is
// answered 429 without looking at its credentials.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { Counter } from '@socketworks/runtime';
import type { DashboardAuthConfig } from '../config';
import { DashboardError } from '../errors';
import { clientKey, LoginThrottle } from './login-throttle';
import { SampledWarning } from './sampled-log';

export const REALM = 'Socketworks';

export interface AuthenticateOptions {
  auth: DashboardAuthConfig;
  authFailures: Counter<'scheme'>;
  /** Counts attempts refused by the throttle (`reason="throttled"`). */
  refusals: Counter<'reason'>;
  logger: Logger;
  /** Failed attempts, and refused ones, are logged at most once per this interval (a brute force must not flood the logs). @defaultValue 10000 */
  logIntervalMs?: number;
  /** @defaultValue a `LoginThrottle` with its defaults (10 failures, 1 s doubling to 5 min) */
  throttle?: LoginThrottle;
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** Constant-time equality of two strings of any lengths. */
export function safeEqual(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** Who made a request, for audit log lines: `user:<name>`, `token` or `open`. */
export function actorOf(locals: Record<string, unknown>): string {
  return typeof locals.actor === 'string' ? locals.actor : 'unknown';
}

export function authenticate(options: AuthenticateOptions): RequestHandler {
  const { auth, authFailures, refusals, logger } = options;
  const throttle = options.throttle ?? new LoginThrottle();
  const basic = auth.basic ? { user: auth.basic.user, password: auth.basic.password } : undefined;
  const challenges = [basic ? `Basic realm="${REALM}"` : undefined, auth.bearerToken ? `Bearer realm="${REALM}"` : undefined].filter(
    (c): c is string => c !== undefined,
  );
  const logIntervalMs = options.logIntervalMs ?? 10000;
  // Never the header in either line: it carries the (wrong, but maybe nearly right) secret, and a
  // refused attempt may carry the right password.
  const failedLog = new SampledWarning(logger, 'authentication failed', 'failures', logIntervalMs);
  const throttledLog = new SampledWarning(logger, 'login throttled: too many failed logins from this address', 'refused', logIntervalMs);

  return (req, res, next) => {
    if (auth.open) {
      res.locals.actor = 'open';
      return next();
    }
    const address = clientKey(req.socket.remoteAddress);
    const refusedForMs = throttle.refusedForMs(address);
    if (refusedForMs > 0) {
      // Checked before the credentials, which are not looked at: the right password is refused
      // too, or the one answer that is not a 429 would tell the attacker which guess was right.
      const retryAfterSeconds = Math.ceil(refusedForMs / 1000);
      refusals.inc({ reason: 'throttled' });
      throttledLog.warn({ remote_address: req.socket.remoteAddress, path: req.path, retry_after_seconds: retryAfterSeconds });
      res.setHeader('Retry-After', String(retryAfterSeconds));
      return next(
        new DashboardError(
          'ERR_DASHBOARD_LOGIN_THROTTLED',
          `too many failed logins from your address: every login from it is refused, even with the right password, for ${retryAfterSeconds} s more (Retry-After); each further failure doubles the wait, up to ${Math.ceil(throttle.maxBackoffMs / 1000)} s`,
        ),
      );
    }
    const header = req.headers.authorization ?? '';
    const space = header.indexOf(' ');
    const scheme = (space > 0 ? header.slice(0, space) : header).toLowerCase();
    const credentials = space > 0 ? header.slice(space + 1).trim() : '';
    if (scheme === 'basic' && basic) {
      const decoded = Buffer.from(credentials, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const user = colon >= 0 ? decoded.slice(0, colon) : decoded;
      const password = colon >= 0 ? decoded.slice(colon + 1) : '';
      // Both compared every time: which half was wrong must not show in the timing.
      const userOk = safeEqual(user, basic.user);
      const passwordOk = safeEqual(password, basic.password);
      if (userOk && passwordOk) {
        throttle.succeed(address);
        res.locals.actor = `user:${basic.user}`;
        return next();
      }
    } else if (scheme === 'bearer' && auth.bearerToken !== undefined) {
      if (safeEqual(credentials, auth.bearerToken)) {
        throttle.succeed(address);
        res.locals.actor = 'token';
        return next();
      }
    }
    const label = header === '' ? 'none' : scheme === 'basic' || scheme === 'bearer' ? scheme : 'other';
    authFailures.inc({ scheme: label });
    // A request without credentials (a browser's first, a probe) guesses nothing: not counted, so
    // it cannot get an operator's address refused.
    if (header !== '') {
      const failure = throttle.fail(address);
      if (failure.backoffMs > 0) {
        throttledLog.warn({ remote_address: req.socket.remoteAddress, failures: failure.failures, retry_after_seconds: Math.ceil(failure.backoffMs / 1000) }, false);
      }
    }
    failedLog.warn({ scheme: label, path: req.path, remote_address: req.socket.remoteAddress });
    res.setHeader('WWW-Authenticate', challenges);
    res.status(401).type('text/plain').send('Authentication required.\n');
  };
}
