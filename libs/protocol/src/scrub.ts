// Secrets never reach Redis: the deprecated verification `token` Slack still puts in payloads is
// removed before a job is stored (ARCHITECTURE.md invariants), so neither the dashboard nor a
// Redis dump can show it.

/** Payload keys removed wherever they appear, at any depth. */
export const SECRET_PAYLOAD_KEYS: ReadonlySet<string> = new Set(['token', 'bot_access_token', 'app_token', 'client_secret', 'signing_secret']);

export const REDACTED = '[redacted]';

/**
 * `payload` without secret keys, at any depth. The input is never modified: an object or array
 * that holds a secret somewhere inside is copied, and everything else is shared with the input
 * (no copy of a large event for the sake of one top-level `token`). Plain JSON in, plain JSON out.
 * Recursive: the input's nesting must be bounded, as `parseFrame` ensures for socket frames
 * (`DEFAULT_MAX_FRAME_DEPTH`) and the connector's HTTP receiver for request bodies (`nestingExceeds`);
 * a payload nested thousands deep would overflow the stack.
 */
export function scrubPayload<T extends Record<string, unknown>>(payload: T): T {
  return scrub(payload) as T;
}

/** The value itself when it holds no secret, else a scrubbed copy. */
function scrub(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i += 1) {
      const inner: unknown = value[i];
      const clean = scrub(inner);
      if (clean !== inner && out === undefined) out = value.slice(0, i);
      out?.push(clean);
    }
    return out ?? value;
  }
  const record = value as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  for (const key of Object.keys(record)) {
    const inner = record[key];
    const secret = SECRET_PAYLOAD_KEYS.has(key);
    const clean = secret ? undefined : scrub(inner);
    if (out === undefined && (secret || clean !== inner)) {
      // First change: copy the keys seen so far, then go on writing into the copy.
      out = {};
      for (const earlier of Object.keys(record)) {
        if (earlier === key) break;
        put(out, earlier, record[earlier]);
      }
    }
    if (out !== undefined && !secret) put(out, key, clean);
  }
  return out ?? record;
}

/**
 * `out[key] = value`, except that a `__proto__` key (JSON.parse makes it an own property) stays an
 * own data property of the copy: plain assignment would instead set the copy's prototype, dropping
 * the key from the stored JSON and lending its fields to every lookup on the copy.
 */
function put(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(out, key, { value, writable: true, enumerable: true, configurable: true });
  else out[key] = value;
}
