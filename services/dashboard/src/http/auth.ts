// Authentication for everything but /healthz, /readyz and /metrics: HTTP Basic (people, in a
// browser) and/or a bearer token (scripts). Secrets are compared as SHA-256 digests with
// `timingSafeEqual`, so neither their content nor their length leaks through timing.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { Counter } from '@socketworks/runtime';
import type { DashboardAuthConfig } from '../config';

export const REALM = 'Socketworks';

export interface AuthenticateOptions {
  auth: DashboardAuthConfig;
  authFailures: Counter<'scheme'>;
  logger: Logger;
  /** Failed attempts are logged at most once per this interval (a brute force must not flood the logs). @defaultValue 10000 */
  logIntervalMs?: number;
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
  const { auth, authFailures, logger } = options;
  const basic = auth.basic ? { user: auth.basic.user, password: auth.basic.password } : undefined;
  const challenges = [basic ? `Basic realm="${REALM}"` : undefined, auth.bearerToken ? `Bearer realm="${REALM}"` : undefined].filter(
    (c): c is string => c !== undefined,
  );
  const logIntervalMs = options.logIntervalMs ?? 10000;
  let lastLogAt = 0;
  let unlogged = 0;

  return (req, res, next) => {
    if (auth.open) {
      res.locals.actor = 'open';
      return next();
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
        res.locals.actor = `user:${basic.user}`;
        return next();
      }
    } else if (scheme === 'bearer' && auth.bearerToken !== undefined) {
      if (safeEqual(credentials, auth.bearerToken)) {
        res.locals.actor = 'token';
        return next();
      }
    }
    const label = header === '' ? 'none' : scheme === 'basic' || scheme === 'bearer' ? scheme : 'other';
    authFailures.inc({ scheme: label });
    unlogged += 1;
    const now = Date.now();
    if (now - lastLogAt >= logIntervalMs) {
      // Never the header itself: it carries the (wrong, but maybe nearly right) secret.
      logger.warn({ scheme: label, path: req.path, remote_address: req.socket.remoteAddress, failures: unlogged }, 'authentication failed');
      lastLogAt = now;
      unlogged = 0;
    }
    res.setHeader('WWW-Authenticate', challenges);
    res.status(401).type('text/plain').send('Authentication required.\n');
  };
}
