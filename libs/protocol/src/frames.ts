// Frames Slack sends over a Socket Mode WebSocket (PROTOCOL.md §3) and the ack we send back (§4.1).
// Validation happens here, at the trust boundary; everything past `parseFrame` trusts the types.
import { z } from 'zod';

export const ENVELOPE_TYPES = ['events_api', 'interactive', 'slash_commands'] as const;
export type EnvelopeType = (typeof ENVELOPE_TYPES)[number];

export const DISCONNECT_REASONS = ['warning', 'refresh_requested', 'too_many_websockets', 'link_disabled'] as const;
export type KnownDisconnectReason = (typeof DISCONNECT_REASONS)[number];

/**
 * Diagnostic fields Slack adds to `hello` and `disconnect` (`host`, `build_number`,
 * `approximate_connection_time`, `started`, …). Their semantics are undocumented (PROTOCOL.md §3.1),
 * so nothing inside is validated or relied on: read them as unknown and check before use.
 */
export type SlackDebugInfo = Readonly<Record<string, unknown>>;

export interface HelloFrame {
  type: 'hello';
  /** Connections Slack counts for the app, this one included: the only field the connector uses. */
  num_connections: number;
  /** Kept when an object; dropped (undefined) when Slack sends anything else. */
  debug_info?: SlackDebugInfo;
  /** `app_id` and whatever else Slack adds. Kept when an object; dropped otherwise. */
  connection_info?: Readonly<Record<string, unknown>>;
}

export interface DisconnectFrame {
  type: 'disconnect';
  /** One of {@link DISCONNECT_REASONS}, or a reason Slack adds later (treated as "reconnect with back-off"). */
  reason: string;
  /** Kept when an object; dropped (undefined) when Slack sends anything else. */
  debug_info?: SlackDebugInfo;
}

export interface Envelope {
  type: EnvelopeType;
  envelope_id: string;
  payload: Record<string, unknown>;
  accepts_response_payload: boolean;
  /** events_api only: 0 on first delivery, N on the Nth redelivery. */
  retry_attempt: number;
  /** events_api only: "" on first delivery, e.g. "timeout" on a redelivery. */
  retry_reason: string;
}

export type InboundFrame = HelloFrame | DisconnectFrame | Envelope;

/** Why a frame was rejected. Each code is stable and is the label of the connector's rejection metric. */
export type FrameErrorCode =
  | 'ERR_FRAME_TOO_LARGE'
  | 'ERR_FRAME_NOT_JSON'
  | 'ERR_FRAME_NOT_OBJECT'
  | 'ERR_FRAME_UNKNOWN_TYPE'
  | 'ERR_FRAME_MISSING_ENVELOPE_ID'
  | 'ERR_FRAME_INVALID';

export class FrameError extends Error {
  override readonly name = 'FrameError';
  constructor(
    readonly code: FrameErrorCode,
    message: string,
    /** `envelope_id` when the frame carried one, so the rejection can be logged against it. */
    readonly envelopeId?: string,
  ) {
    super(message);
  }
}

/**
 * Diagnostic objects are never a reason to refuse a frame: a hello Slack sent with, say, a string
 * `build_number` would otherwise be rejected on every socket and none would open. Anything but an
 * object is dropped; inside an object nothing is checked.
 */
const looseObject = z.record(z.unknown()).optional().catch(undefined);

/** Only `num_connections` is checked: the connector reads it (metrics, the ghost-socket check). */
const helloSchema = z
  .object({
    type: z.literal('hello'),
    num_connections: z.number().int().nonnegative(),
    debug_info: looseObject,
    connection_info: looseObject,
  })
  .passthrough();

const disconnectSchema = z
  .object({
    type: z.literal('disconnect'),
    reason: z.string().min(1),
    debug_info: looseObject,
  })
  .passthrough();

/** Frames larger than this are rejected unparsed. Slack's largest payloads (views) stay far below. */
export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;

/**
 * Frames whose objects and arrays nest deeper than this are rejected (`ERR_FRAME_INVALID`). The
 * frame itself is level 1 and its `payload` level 2; Slack's deepest payloads (a view's blocks and
 * state) nest about 15 levels, far below. Without a bound a small frame (20,000 levels is ~100 KB)
 * would parse and then overflow the stack of every recursive step after it (scrubbing, logging),
 * failing its enqueue instead of being rejected as bad input.
 */
export const DEFAULT_MAX_FRAME_DEPTH = 64;

export interface ParseFrameOptions {
  /** @defaultValue {@link DEFAULT_MAX_FRAME_BYTES} */
  maxFrameBytes?: number;
  /** @defaultValue {@link DEFAULT_MAX_FRAME_DEPTH} */
  maxDepth?: number;
}

/**
 * Whether objects and arrays in `value` nest more than `maxDepth` levels (`value` itself, if an
 * object or array, is level 1). It stops descending one level past the bound, so any input is safe
 * to ask about; its own recursion is at most `maxDepth + 1` calls deep. Meant for JSON values (own
 * enumerable keys; a JSON.parse result inherits none).
 */
export function nestingExceeds(value: unknown, maxDepth: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  return deeperThan(value, maxDepth - 1);
}

/** Whether `node`'s children nest more than `levelsLeft` levels. Recursive, for speed: this runs on
 * every frame, and it allocates nothing (an explicit stack and `Object.values` cost 4× as much). */
function deeperThan(node: object, levelsLeft: number): boolean {
  if (levelsLeft < 0) return true;
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i += 1) {
      const child: unknown = node[i];
      if (child !== null && typeof child === 'object' && deeperThan(child, levelsLeft - 1)) return true;
    }
    return false;
  }
  for (const key in node) {
    const child: unknown = (node as Record<string, unknown>)[key];
    if (child !== null && typeof child === 'object' && deeperThan(child, levelsLeft - 1)) return true;
  }
  return false;
}

/**
 * Parses and validates one text frame. Throws {@link FrameError}; never anything else.
 * `byteLength` is passed in because the socket layer already knows it (no second UTF-8 pass).
 */
export function parseFrame(text: string, byteLength: number, options: ParseFrameOptions = {}): InboundFrame {
  const max = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  if (byteLength > max) {
    throw new FrameError('ERR_FRAME_TOO_LARGE', `frame of ${byteLength} bytes is over the ${max}-byte limit`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new FrameError('ERR_FRAME_NOT_JSON', 'frame is not JSON');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new FrameError('ERR_FRAME_NOT_OBJECT', 'frame is not a JSON object');
  }
  const obj = raw as Record<string, unknown>;
  const envelopeId = typeof obj.envelope_id === 'string' ? obj.envelope_id : undefined;
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_FRAME_DEPTH;
  if (nestingExceeds(obj, maxDepth)) {
    throw new FrameError('ERR_FRAME_INVALID', `frame nests deeper than ${maxDepth} levels`, envelopeId);
  }
  switch (obj.type) {
    case 'hello':
      return checked(helloSchema, obj, envelopeId) as HelloFrame;
    case 'disconnect':
      return checked(disconnectSchema, obj, envelopeId) as DisconnectFrame;
    case 'events_api':
    case 'interactive':
    case 'slash_commands':
      if (!envelopeId) {
        throw new FrameError('ERR_FRAME_MISSING_ENVELOPE_ID', `${obj.type} frame has no envelope_id`);
      }
      return checkedEnvelope(obj, obj.type, envelopeId);
    default:
      throw new FrameError(
        'ERR_FRAME_UNKNOWN_TYPE',
        `unknown frame type ${typeof obj.type === 'string' ? JSON.stringify(obj.type).slice(0, 64) : `of JSON type ${obj.type === null ? 'null' : typeof obj.type}`}`,
        envelopeId,
      );
  }
}

function checked<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, obj: unknown, envelopeId: string | undefined): T {
  const result = schema.safeParse(obj);
  if (!result.success) {
    const where = result.error.issues.map((i) => i.path.join('.') || '(root)').join(', ');
    throw new FrameError('ERR_FRAME_INVALID', `frame failed validation at ${where}`, envelopeId);
  }
  return result.data;
}

const MAX_ENVELOPE_ID_LENGTH = 256;

/**
 * An envelope, checked by hand: this runs for every envelope on the connector's hot path, where a
 * schema library's copy of the payload costs more than the rest of the validation. Same rules and
 * same error shape as the zod schemas above: the payload is a JSON object (kept as parsed, not
 * copied), the optional fields take their defaults, unknown top-level fields pass through.
 */
function checkedEnvelope(obj: Record<string, unknown>, type: EnvelopeType, envelopeId: string): Envelope {
  const bad: string[] = [];
  if (envelopeId.length === 0 || envelopeId.length > MAX_ENVELOPE_ID_LENGTH) bad.push('envelope_id');
  const payload = obj.payload;
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) bad.push('payload');
  // Routing and job names read payload.type; Slack always sends a string where it sends one.
  else if ((payload as { type?: unknown }).type !== undefined && typeof (payload as { type?: unknown }).type !== 'string') bad.push('payload.type');
  const accepts = obj.accepts_response_payload ?? false;
  if (typeof accepts !== 'boolean') bad.push('accepts_response_payload');
  const attempt = obj.retry_attempt ?? 0;
  if (typeof attempt !== 'number' || !Number.isInteger(attempt) || attempt < 0) bad.push('retry_attempt');
  const reason = obj.retry_reason ?? '';
  if (typeof reason !== 'string') bad.push('retry_reason');
  if (bad.length > 0) throw new FrameError('ERR_FRAME_INVALID', `frame failed validation at ${bad.join(', ')}`, envelopeId);
  return { ...obj, type, envelope_id: envelopeId, accepts_response_payload: accepts, retry_attempt: attempt, retry_reason: reason } as Envelope;
}

export function isEnvelope(frame: InboundFrame): frame is Envelope {
  return frame.type !== 'hello' && frame.type !== 'disconnect';
}

/** The ack frame (PROTOCOL.md §4.1). `payload` is omitted when there is nothing to say. */
export function ackFrame(envelopeId: string, payload?: Record<string, unknown>): string {
  return JSON.stringify(payload ? { envelope_id: envelopeId, payload } : { envelope_id: envelopeId });
}
