// An HTTP request body from Slack → the same Envelope a socket would have carried (PROTOCOL.md §5:
// payloads are identical), so the ingestor, the queues and the workers never know the difference.
// Bolt's receiver takes every kind on one path; so do we:
//   application/json                  Events API (`event_callback`, `app_rate_limited`, …) or `url_verification`
//   application/x-www-form-urlencoded `payload=<json>` (interactivity, options loads), a slash
//                                     command's fields, or `ssl_check=1`
import type { IncomingHttpHeaders } from 'node:http';
import { DEFAULT_MAX_FRAME_DEPTH, nestingExceeds, SYNC_INTERACTIVE_TYPES, type Envelope } from '@socketworks/protocol';
import { SocketworksError } from '@socketworks/runtime';

export type HttpDelivery =
  | { kind: 'url_verification'; challenge: string }
  | { kind: 'ssl_check' }
  | { kind: 'envelope'; envelope: Envelope };

/** How deep an HTTP body's JSON may nest: a socket frame's bound less the envelope around the payload. */
const PAYLOAD_MAX_DEPTH = DEFAULT_MAX_FRAME_DEPTH - 1;

/** The body is not one Slack sends (answered 400, nothing enqueued). */
export class HttpBodyError extends SocketworksError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_HTTP_BAD_BODY', message, options);
  }
}

/** `ssl_check=1` (distributed apps' certificate check): answered 200 with nothing done, as Bolt does. */
export function isSslCheck(rawBody: Buffer, contentType: string): boolean {
  if (mediaType(contentType) !== 'application/x-www-form-urlencoded' || rawBody.length > 4096) return false;
  return new URLSearchParams(rawBody.toString('utf8')).get('ssl_check') === '1';
}

export function parseHttpDelivery(rawBody: Buffer, headers: IncomingHttpHeaders, envelopeId: string): HttpDelivery {
  const type = mediaType(headers['content-type'] ?? '');
  const retry = retryOf(headers);
  if (type === 'application/json') {
    const body = parseJsonObject(rawBody.toString('utf8'), 'body');
    if (body.type === 'url_verification') {
      if (typeof body.challenge !== 'string') throw new HttpBodyError('url_verification without a challenge');
      return { kind: 'url_verification', challenge: body.challenge };
    }
    if (typeof body.type !== 'string') throw new HttpBodyError('JSON body without a type');
    return { kind: 'envelope', envelope: envelopeOf('events_api', envelopeId, body, false, retry) };
  }
  if (type === 'application/x-www-form-urlencoded') {
    const form = new URLSearchParams(rawBody.toString('utf8'));
    const payload = form.get('payload');
    if (payload !== null) {
      const body = parseJsonObject(payload, 'payload field');
      if (typeof body.type !== 'string') throw new HttpBodyError('interactive payload without a type');
      return { kind: 'envelope', envelope: envelopeOf('interactive', envelopeId, body, SYNC_INTERACTIVE_TYPES.has(body.type), retry) };
    }
    if (form.has('command')) {
      // Over Socket Mode a slash command's payload is its form fields as a JSON object of strings.
      const fields: Record<string, unknown> = {};
      for (const [key, value] of form) fields[key] = value;
      return { kind: 'envelope', envelope: envelopeOf('slash_commands', envelopeId, fields, true, retry) };
    }
    throw new HttpBodyError('form body is neither an interaction (payload) nor a slash command (command)');
  }
  throw new HttpBodyError(`unsupported content type ${JSON.stringify(type.slice(0, 64))}`);
}

function envelopeOf(
  type: Envelope['type'],
  envelopeId: string,
  payload: Record<string, unknown>,
  acceptsResponsePayload: boolean,
  retry: { attempt: number; reason: string },
): Envelope {
  return {
    type,
    envelope_id: envelopeId,
    payload,
    accepts_response_payload: acceptsResponsePayload,
    retry_attempt: retry.attempt,
    retry_reason: retry.reason,
  };
}

/** `X-Slack-Retry-Num` (absent on the first attempt, then 1–3) and `-Reason` → the socket's fields. */
function retryOf(headers: IncomingHttpHeaders): { attempt: number; reason: string } {
  const num = Number(single(headers['x-slack-retry-num']));
  const reason = single(headers['x-slack-retry-reason']) ?? '';
  return { attempt: Number.isInteger(num) && num > 0 && num < 1000 ? num : 0, reason: reason.slice(0, 64) };
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function mediaType(contentType: string): string {
  return contentType.split(';')[0]!.trim().toLowerCase();
}

function parseJsonObject(text: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new HttpBodyError(`${what} is not JSON`, { cause: err });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new HttpBodyError(`${what} is not a JSON object`);
  // The socket's bound on nesting, for the same payload one level down (a frame wraps it): deeper
  // than any Slack payload, and a deep one would overflow the stack when its job data is built.
  if (nestingExceeds(value, PAYLOAD_MAX_DEPTH)) throw new HttpBodyError(`${what} nests deeper than ${PAYLOAD_MAX_DEPTH} levels`);
  return value as Record<string, unknown>;
}
