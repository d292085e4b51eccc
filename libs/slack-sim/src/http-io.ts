// Small helpers for the simulator's HTTP endpoints: bounded body reading, body decoding the way
// Slack accepts it (JSON or form), and replies.
import type { IncomingMessage, ServerResponse } from 'node:http';

export class BodyTooLargeError extends Error {
  readonly code = 'ERR_SIM_BODY_TOO_LARGE';
}

/** Reads the whole body; past `limitBytes` it keeps draining the request but rejects. */
export function readBody(req: IncomingMessage, limitBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => (tooLarge ? reject(new BodyTooLargeError(`body over ${limitBytes} bytes`)) : resolve(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

export type Decoded = { ok: true; value: Record<string, unknown>; form: boolean } | { ok: false; error: 'invalid_json' | 'invalid_form_data' };

/** Form values Slack accepts as JSON strings (that is how @slack/web-api sends objects). */
const JSON_FORM_KEYS = new Set(['view', 'blocks', 'attachments', 'metadata', 'unfurls']);

/**
 * Decodes a Web API body. @slack/web-api sends `application/x-www-form-urlencoded` with object
 * values JSON-encoded; other clients send `application/json`.
 */
export function decodeBody(contentType: string | undefined, text: string): Decoded {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json') {
    if (text.trim() === '') return { ok: true, value: {}, form: false };
    try {
      const value: unknown = JSON.parse(text);
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, error: 'invalid_json' };
      return { ok: true, value: value as Record<string, unknown>, form: false };
    } catch {
      return { ok: false, error: 'invalid_json' };
    }
  }
  if (type === '' || type === 'application/x-www-form-urlencoded') {
    const value: Record<string, unknown> = {};
    for (const [key, raw] of new URLSearchParams(text)) {
      value[key] = JSON_FORM_KEYS.has(key) ? parseJsonish(raw) : raw;
    }
    return { ok: true, value, form: true };
  }
  return { ok: false, error: 'invalid_form_data' };
}

function parseJsonish(raw: string): unknown {
  const first = raw.trimStart()[0];
  if (first !== '{' && first !== '[') return raw;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    // Left as a string: the method's own argument check reports it as invalid.
    return raw;
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Bearer token from the Authorization header, if any. */
export function bearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : undefined;
}
