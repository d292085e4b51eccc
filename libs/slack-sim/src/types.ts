// Public shapes of the simulator: its options, what it is driven with and what it records.
// Every timestamp is epoch milliseconds with a fractional part (`performance.timeOrigin +
// performance.now()`), so latencies are sub-millisecond and still comparable with Date.now().
import type { Logger } from 'pino';
import type { EnvelopeType } from '@socketworks/protocol';

export type EnvelopeKind = EnvelopeType;

export interface SlackSimOptions {
  /** @defaultValue 0 (a random free port) */
  port?: number;
  /** Interface to listen on. Keep the default outside containers. @defaultValue '127.0.0.1' */
  host?: string;
  /**
   * Base of the URLs the simulator hands out (the socket URL, response_urls, `apiUrl`). Only needed
   * when clients reach it under another name (a container). @defaultValue `http://127.0.0.1:<port>`
   */
  publicBaseUrl?: string;
  /** @defaultValue 'A0000001' */
  appId?: string;
  /** @defaultValue 'T0000001' */
  teamId?: string;
  /** Accepted app-level tokens. @defaultValue any token starting with `xapp-` */
  appTokens?: string[];
  /** Accepted bot tokens. @defaultValue any token starting with `xoxb-` */
  botTokens?: string[];
  /** Unacked `events_api` envelopes are redelivered after this. @defaultValue 3000 */
  redeliveryTimeoutMs?: number;
  /** Redeliveries per event, as Slack's 3 retries. @defaultValue 3 */
  maxRedeliveries?: number;
  /** Open sockets allowed for the app; one more gets `too_many_websockets`. @defaultValue 10 */
  maxSockets?: number;
  /**
   * Between a socket's upgrade and its `hello`: Slack's is a WAN round trip or more, during which
   * the new socket already counts against `maxSockets`. @defaultValue 0 (hello at once)
   */
  helloDelayMs?: number;
  /** After `disconnect refresh_requested` the socket gets no new envelopes and is closed after this. @defaultValue 3000 */
  refreshGraceMs?: number;
  /** Same for `disconnect warning` (Slack: "about 10 seconds before"). @defaultValue 10000 */
  warningGraceMs?: number;
  /** WebSocket pings from the simulator; 0 turns them off. @defaultValue 5000 */
  serverPingIntervalMs?: number;
  /** A trigger_id is valid this long after its envelope was sent, once. @defaultValue 3000 */
  triggerTtlMs?: number;
  /** @defaultValue 5 */
  responseUrlMaxUses?: number;
  /** @defaultValue 1800000 (30 minutes) */
  responseUrlTtlMs?: number;
  /**
   * Deliveries, acks, API calls and response_url calls kept for reading; past it the oldest are
   * forgotten (counters in stats() keep counting). For long benchmark runs. @defaultValue Infinity
   */
  maxRecords?: number;
  /** @defaultValue a silent logger */
  logger?: Logger;
}

export interface InjectInput {
  type: EnvelopeKind;
  payload: Record<string, unknown>;
  /**
   * @defaultValue per PROTOCOL.md §3.4: events false, slash commands true, interactive
   * `block_suggestion`/`view_submission` true, other interactive false
   */
  acceptsResponsePayload?: boolean;
}

export interface InjectResult {
  envelopeId: string;
  eventId?: string;
  triggerId?: string;
  responseUrl?: string;
}

export interface StreamInput {
  count: number;
  ratePerSecond: number;
  make: (i: number) => InjectInput;
  /** The stream stops here even if not all were injected. @defaultValue twice the planned duration + 5 s */
  maxDurationMs?: number;
}

export interface StreamResult {
  injected: number;
  envelopeIds: string[];
  durationMs: number;
}

export interface Delivery {
  envelopeId: string;
  type: EnvelopeKind;
  eventId?: string;
  /** null while the envelope waits for a socket. */
  socketId: string | null;
  createdAt: number;
  sentAt: number | null;
  retryAttempt: number;
  retryReason: string;
  waitedForSocket: boolean;
  acked: boolean;
  payload: Record<string, unknown>;
}

export interface AckRecord {
  envelopeId: string;
  socketId: string;
  receivedAt: number;
  /** From the delivery's sentAt; null for unknown envelope ids. */
  latencyMs: number | null;
  payload?: Record<string, unknown>;
  known: boolean;
  /** Acked on a socket other than the one that delivered it. */
  crossSocket: boolean;
  duplicate: boolean;
  /**
   * Present (true) when `latencyMs` is over Slack's 3 s ack deadline (PROTOCOL.md §4.2): Slack
   * would have shown the user `operation_timeout` (slash commands) or an error (interactivity),
   * or redelivered the event.
   */
  late?: true;
}

export interface ApiCall {
  method: string;
  at: number;
  /** Never log it; kept so tests can check which token was used. Stripped from the control API. */
  token?: string;
  args: Record<string, unknown>;
  ok: boolean;
  error?: string;
  status: number;
  /**
   * Present (true) on a 429 for a call that came inside the Retry-After window of an earlier 429
   * of its method: the client did not wait as told (PROTOCOL.md §7.1). Absent on every other call.
   */
  early?: true;
}

export interface ResponseUrlCall {
  url: string;
  at: number;
  body: Record<string, unknown>;
  status: number;
  error?: string;
  /** '' when the URL is not one the simulator issued. */
  originEnvelopeId: string;
}

export type SocketState = 'open' | 'draining' | 'closed';

export interface SocketInfo {
  id: string;
  openedAt: number;
  /** null for a socket refused before hello (too_many_websockets, link_disabled). */
  helloAt: number | null;
  closedAt: number | null;
  state: SocketState;
  /** Who or what closed it: a disconnect reason, 'dropped', 'client_closed', 'ping_timeout', 'sim_closed'. */
  closeReason?: string;
  /** WebSocket close code seen when it closed (1006 for an abrupt end). */
  closeCode?: number;
  envelopesSent: number;
}

export interface LatencySummary {
  p50: number;
  p99: number;
  max: number;
  count: number;
}

export interface SimStats {
  /** Envelope frames sent, redeliveries included. */
  sent: number;
  /** Sent envelopes acked at least once. */
  acked: number;
  /** Sent envelopes never acked (sent - acked). */
  unacked: number;
  /** Redeliveries created. */
  redelivered: number;
  /** Deliveries that had to wait for a socket. */
  waitedForSocket: number;
  openSockets: number;
  /**
   * Send → first ack of each sent envelope since reset. `count` and `max` cover every one; `p50`
   * and `p99` too, or only the newest `maxRecords` (at least; trimmed in steps) when that option
   * is set, so memory stays bounded on long runs.
   */
  ackLatencyMs: LatencySummary;
  apiCalls: number;
  responseUrlCalls: number;
  /** Deliveries waiting for a socket right now. */
  waiting: number;
  /** events_api events that used up every redelivery without an ack. */
  gaveUp: number;
  unknownAcks: number;
  duplicateAcks: number;
  crossSocketAcks: number;
  /** Client frames that were not a valid ack (not JSON, no envelope_id, binary). */
  clientFrameErrors: number;
  /** HTTP requests refused as malformed (bad JSON, oversized body). */
  badRequests: number;
}

/**
 * Rate-limits `method` ('*': every Web API method, each in its own windows) for `count` windows of
 * `retryAfterSeconds`. The first call of the method gets 429 with `Retry-After: retryAfterSeconds`
 * and opens a window; calls inside it get 429 too (`early: true`, Retry-After = the seconds left,
 * rounded up, at least 1) and use up nothing; the first call after it opens the next window, until
 * `count` windows are used and over. A client that waits Retry-After thus meets exactly `count`
 * 429s. `retryAfterSeconds: 0` opens no window: the next `count` calls get 429.
 */
export type RateLimitRule = { method: string; count: number; retryAfterSeconds: number };

/**
 * Answers of `method` ('*': every Web API method) leave `ms` after the call took effect: a client
 * that dies meanwhile made the call without learning its result (a post exists, its ts is unknown).
 */
export type ApiLatencyRule = { method: string; ms: number };

export interface SlackSimEvents {
  delivery: [Delivery];
  ack: [AckRecord];
  api_call: [ApiCall];
  response_url_call: [ResponseUrlCall];
  socket_open: [SocketInfo];
  socket_close: [SocketInfo];
}
