// Secrets never reach Redis: the deprecated verification `token` Slack still puts in payloads is
// removed before a job is stored (ARCHITECTURE.md invariants), so neither the dashboard nor a
// Redis dump can show it.

/** Payload keys removed wherever they appear, at any depth. */
export const SECRET_PAYLOAD_KEYS: ReadonlySet<string> = new Set(['token', 'bot_access_token', 'app_token', 'client_secret', 'signing_secret']);

export const REDACTED = '[redacted]';

/** A copy of `payload` without secret keys. Plain JSON in, plain JSON out. */
export function scrubPayload<T extends Record<string, unknown>>(payload: T): T {
  return scrub(payload) as T;
}

function scrub(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(scrub);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (SECRET_PAYLOAD_KEYS.has(key)) continue;
    out[key] = scrub(inner);
  }
  return out;
}
