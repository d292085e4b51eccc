// Display-time redaction, a second line behind the connector's `scrubPayload`: whatever a job holds
// (payload, error message, stack trace, return value), nothing that looks like a secret leaves the
// dashboard. Keys are matched by name; strings by the shapes of Slack tokens, bearer/basic
// credentials and passwords in URLs.
import { REDACTED } from '@socketworks/protocol';

export { REDACTED };

/**
 * Keys whose value is replaced whole, at any depth: `token`, `bot_access_token`, `appToken`,
 * `client_secret`, `signingSecret`, `password`, `authorization`, `Authorization`, `cookie`.
 * `authorizations` (Slack's list of who the event is for) and `tokens` (the ids in a
 * `tokens_revoked` event) are not secrets and are kept.
 */
const SECRET_KEY = /(?:token|secret|password|passwd|authorization|cookie)$/i;

/** Slack tokens of every kind (`xoxb-`, `xoxp-`, `xoxa-`, `xoxe-`, `xoxr-`, `xoxc-`, `xoxs-`, …) and app tokens. */
const SLACK_TOKEN = /\bx(?:ox[a-z]|app)-[A-Za-z0-9-]+/gi;
/** `Authorization: Bearer …` / `Basic …` values that end up in an error message. */
const HTTP_CREDENTIALS = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g;
/** Passwords in connection URLs (`redis://user:secret@host`). */
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s"]*:)[^@\s"]+@/gi;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

export function redactString(text: string): string {
  return text.replace(SLACK_TOKEN, REDACTED).replace(HTTP_CREDENTIALS, `$1 ${REDACTED}`).replace(URL_PASSWORD, `$1${REDACTED}@`);
}

/** A redacted deep copy of plain JSON (what BullMQ stores). Depth is bounded: deeper values are elided. */
export function redactForDisplay(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 64) return '[too deep]';
  if (Array.isArray(value)) return value.map((item) => redactForDisplay(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    // defineProperty, not `out[key] =`: a `__proto__` key (JSON.parse makes it an own property)
    // would otherwise set the copy's prototype and vanish from what is shown, unredacted inside.
    Object.defineProperty(out, key, {
      value: isSecretKey(key) && inner !== null && inner !== undefined && inner !== '' ? REDACTED : redactForDisplay(inner, depth + 1),
      writable: true,
      enumerable: true,
      configurable: true,
    });
  }
  return out;
}
