// `POST /hooks/<kind>/<team>/<id>`: the response_urls the simulator put into payloads. Slack's own
// error answers here are undocumented (PROTOCOL.md §6); ours are plain-text codes with 404.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLargeError, decodeBody, readBody, sendText } from './http-io';
import { nowMs } from './ids';
import type { ResponseUrlRegistry } from './interactions';
import type { ResponseUrlCall } from './types';

const MAX_BODY_BYTES = 1024 * 1024;

export interface ResponseHooksOptions {
  registry: ResponseUrlRegistry;
  baseUrl: string;
  record(call: ResponseUrlCall): void;
  badRequest(): void;
}

export async function handleResponseUrl(req: IncomingMessage, res: ServerResponse, path: string, options: ResponseHooksOptions): Promise<void> {
  const at = nowMs();
  const url = `${options.baseUrl}${path}`;
  const reply = (status: number, body: Record<string, unknown>, originEnvelopeId: string, error?: string) => {
    sendText(res, status, error ?? 'ok');
    const call: ResponseUrlCall = { url, at, body, status, originEnvelopeId };
    if (error) call.error = error;
    options.record(call);
  };
  if (req.method !== 'POST') {
    req.resume();
    return reply(405, {}, '', 'method_not_allowed');
  }
  let text: string;
  try {
    text = await readBody(req, MAX_BODY_BYTES);
  } catch (err) {
    options.badRequest();
    return reply(err instanceof BodyTooLargeError ? 413 : 400, {}, '', err instanceof BodyTooLargeError ? 'request_too_large' : 'request_failed');
  }
  // Bolt's respond() posts JSON; a form body with a `payload` field is accepted as incoming webhooks do.
  const decoded = decodeBody(req.headers['content-type'] ?? 'application/json', text);
  let body: Record<string, unknown> | undefined;
  if (decoded.ok) {
    body = decoded.form && typeof decoded.value.payload === 'string' ? parseObject(decoded.value.payload) : decoded.value;
  }
  if (!body) {
    options.badRequest();
    return reply(400, {}, '', 'invalid_payload');
  }
  const use = options.registry.use(path);
  if (!use.ok) return reply(use.status, body, use.originEnvelopeId, use.error);
  reply(200, body, use.originEnvelopeId);
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
