// Envelopes from injection to ack: live trigger_ids/response_urls, the frame text (built once per
// envelope), round-robin sending, the FIFO of envelopes waiting for a socket, redelivery of unacked
// events_api envelopes, and the record of every delivery and ack.
//
// Hot path (2,000 envelopes/s in the benchmark): one JSON.stringify per injected envelope, string
// concatenation per frame, and O(1) bookkeeping. The redelivery timeout is the same for every
// envelope, so deadlines are pushed in send order and one timer walks that queue.
import { randomUUID } from 'node:crypto';
import type { RawData } from 'ws';
import type { Logger } from 'pino';
import { ENVELOPE_TYPES } from '@socketworks/protocol';
import { SlackSimError } from './errors';
import { nowMs, slackId, triggerId } from './ids';
import type { ResponseUrlKind, ResponseUrlRegistry, TriggerRegistry } from './interactions';
import { summarize } from './latency';
import type { SimSocket } from './socket-hub';
import type { AckRecord, Delivery, EnvelopeKind, InjectInput, InjectResult, LatencySummary } from './types';

export interface DispatcherOptions {
  redeliveryTimeoutMs: number;
  maxRedeliveries: number;
  /** Deliveries and acks kept for reading; older ones are forgotten (counters keep counting). */
  maxRecords: number;
  logger: Logger;
}

export interface DispatcherDeps {
  pick(): SimSocket | undefined;
  triggers: TriggerRegistry;
  responseUrls: ResponseUrlRegistry;
  onDelivery(delivery: Delivery): void;
  onAck(ack: AckRecord): void;
}

/** One injected envelope and its redeliveries. */
interface Item {
  type: EnvelopeKind;
  /** `,"payload":…,"type":…,"accepts_response_payload":…`: the frame minus id and retry fields. */
  body: string;
  triggerId?: string;
  responseUrls: string[];
  /** trigger/response_url clocks started (at the first send). */
  activated: boolean;
  /** Acked, or out of redeliveries: no more redeliveries. */
  settled: boolean;
}

interface Flight {
  record: Delivery;
  item: Item;
  deadline: number;
}

/** A FIFO over an array with a moving head, compacted now and then (shift() is O(n)). */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }
  push(item: T): void {
    this.items.push(item);
  }
  peek(): T | undefined {
    return this.items[this.head];
  }
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head]!;
    this.head += 1;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
  clear(): void {
    this.items = [];
    this.head = 0;
  }
  /** The items still queued, oldest first. */
  *values(): IterableIterator<T> {
    for (let i = this.head; i < this.items.length; i += 1) yield this.items[i]!;
  }
}

/** PROTOCOL.md §4.2: Slack's ack deadline, the same for every kind. An ack past it is `late`. */
export const ACK_DEADLINE_MS = 3000;

const KINDS: ReadonlySet<string> = new Set(ENVELOPE_TYPES);

/**
 * The newest `max` entries once the array is a quarter over `max`, else the array itself: trimming
 * in steps keeps the cost per push O(1) amortized.
 */
export function trimOldest<T>(items: T[], max: number): T[] {
  return items.length > max + Math.max(1, Math.floor(max / 4)) ? items.slice(items.length - max) : items;
}

/** PROTOCOL.md §3.4: which envelopes let the ack carry a payload. */
function defaultAcceptsResponsePayload(type: EnvelopeKind, payloadType: unknown): boolean {
  if (type === 'slash_commands') return true;
  if (type === 'interactive') return payloadType === 'block_suggestion' || payloadType === 'view_submission';
  return false;
}

function responseUrlKind(payloadType: unknown): ResponseUrlKind {
  return payloadType === 'message_action' || payloadType === 'view_submission' ? 'app' : 'actions';
}

export class Dispatcher {
  private records: Delivery[] = [];
  private ackRecords: AckRecord[] = [];
  private byEnvelope = new Map<string, Flight>();
  private readonly waiting = new Fifo<Flight>();
  private readonly deadlines = new Fifo<Flight>();
  private deadlineTimer: NodeJS.Timeout | undefined;
  /**
   * Ack latencies for the percentiles: all of them, or the newest `maxRecords` when that is set
   * (trimmed in steps, like the records). Count and max cover every ack either way.
   */
  private latencies: number[] = [];
  private latencyCount = 0;
  private latencyMax = 0;
  /** stats() sorts the window only when an ack came in since the last call. */
  private latencySummary: LatencySummary | undefined;
  /**
   * Envelope ids whose record was trimmed while an ack could still come (an unsettled event, an
   * envelope not sent yet). Their `byEnvelope` entry goes once they are done (next trim).
   */
  private orphans: string[] = [];
  private counts = this.zeroCounts();

  constructor(
    private readonly options: DispatcherOptions,
    private readonly deps: DispatcherDeps,
  ) {}

  inject(input: InjectInput): InjectResult {
    if (!input || typeof input !== 'object' || !KINDS.has(input.type)) {
      throw new SlackSimError('ERR_SIM_INVALID_INPUT', `inject: type must be one of ${ENVELOPE_TYPES.join(', ')}`);
    }
    if (!input.payload || typeof input.payload !== 'object' || Array.isArray(input.payload)) {
      throw new SlackSimError('ERR_SIM_INVALID_INPUT', 'inject: payload must be an object');
    }
    const envelopeId = randomUUID();
    const { item, payload, result } = this.prepare(input, envelopeId);
    this.route(this.newFlight(item, payload, envelopeId, 0, ''));
    return result;
  }

  /** A socket got hello: hand it what was waiting. */
  flush(): void {
    while (this.waiting.length > 0) {
      const socket = this.deps.pick();
      if (!socket) return;
      this.send(this.waiting.shift()!, socket);
    }
  }

  /** A text frame from a client: an ack, or a malformed frame that is counted and ignored. */
  onClientFrame(socket: SimSocket, data: RawData, isBinary: boolean): void {
    if (isBinary) return this.frameError(socket, 'binary frame');
    const text = Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8');
    let frame: unknown;
    try {
      frame = JSON.parse(text);
    } catch {
      return this.frameError(socket, 'frame is not JSON');
    }
    if (typeof frame !== 'object' || frame === null || Array.isArray(frame)) return this.frameError(socket, 'frame is not a JSON object');
    const { envelope_id: envelopeId, payload } = frame as { envelope_id?: unknown; payload?: unknown };
    if (typeof envelopeId !== 'string' || envelopeId === '') return this.frameError(socket, 'frame has no envelope_id');
    if (payload !== undefined && (typeof payload !== 'object' || payload === null || Array.isArray(payload))) {
      return this.frameError(socket, 'ack payload is not an object');
    }
    this.recordAck(socket, envelopeId, payload as Record<string, unknown> | undefined);
  }

  deliveries(): Delivery[] {
    return this.records.map((r) => ({ ...r }));
  }

  acks(): AckRecord[] {
    return this.ackRecords.map((a) => ({ ...a }));
  }

  stats() {
    const c = this.counts;
    return {
      sent: c.sent,
      acked: c.acked,
      unacked: c.sent - c.acked,
      redelivered: c.redelivered,
      waitedForSocket: c.waitedForSocket,
      waiting: this.waiting.length,
      gaveUp: c.gaveUp,
      unknownAcks: c.unknownAcks,
      duplicateAcks: c.duplicateAcks,
      crossSocketAcks: c.crossSocketAcks,
      clientFrameErrors: c.clientFrameErrors,
      ackLatencyMs: { ...this.ackLatencySummary() } satisfies LatencySummary,
    };
  }

  /** What the dispatcher holds right now, for tests of its memory bounds. */
  retained(): { records: number; acks: number; latencies: number; envelopes: number; waiting: number } {
    return { records: this.records.length, acks: this.ackRecords.length, latencies: this.latencies.length, envelopes: this.byEnvelope.size, waiting: this.waiting.length };
  }

  /**
   * Forgets every envelope: records, waiting ones, pending redeliveries. The trigger_ids of waiting
   * envelopes that were never sent are forgotten too (their clock never started, so nothing else
   * would ever expire them); their response_urls expire on their own clock.
   */
  reset(): void {
    for (const flight of this.waiting.values()) {
      if (!flight.item.activated && flight.item.triggerId) this.deps.triggers.forget(flight.item.triggerId);
    }
    this.records = [];
    this.ackRecords = [];
    this.byEnvelope = new Map();
    this.waiting.clear();
    this.deadlines.clear();
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    this.latencies = [];
    this.latencyCount = 0;
    this.latencyMax = 0;
    this.latencySummary = undefined;
    this.orphans = [];
    this.counts = this.zeroCounts();
  }

  close(): void {
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
  }

  /** p50/p99 over the kept latencies; count and max over all of them since reset. */
  private ackLatencySummary(): LatencySummary {
    if (!this.latencySummary) {
      const window = summarize(this.latencies);
      this.latencySummary = this.latencyCount === 0 ? window : { ...window, max: this.latencyMax, count: this.latencyCount };
    }
    return this.latencySummary;
  }

  private recordLatency(latencyMs: number): void {
    this.latencies.push(latencyMs);
    this.latencyCount += 1;
    if (this.latencyCount === 1 || latencyMs > this.latencyMax) this.latencyMax = latencyMs;
    this.latencySummary = undefined;
    if (this.latencies.length > this.options.maxRecords) this.latencies = trimOldest(this.latencies, this.options.maxRecords);
  }

  private zeroCounts() {
    return { sent: 0, acked: 0, redelivered: 0, waitedForSocket: 0, gaveUp: 0, unknownAcks: 0, duplicateAcks: 0, crossSocketAcks: 0, clientFrameErrors: 0 };
  }

  /** Copies the payload and swaps in live trigger_id / response_url(s), once per injected envelope. */
  private prepare(input: InjectInput, envelopeId: string) {
    const payload: Record<string, unknown> = { ...input.payload };
    const result: InjectResult = { envelopeId };
    const item: Item = { type: input.type, body: '', responseUrls: [], activated: false, settled: false };
    const newResponseUrl = (kind: ResponseUrlKind) => {
      const url = this.deps.responseUrls.create(kind, envelopeId);
      item.responseUrls.push(url);
      result.responseUrl ??= url;
      return url;
    };
    const newTrigger = () => {
      const id = triggerId();
      this.deps.triggers.register(id);
      item.triggerId = result.triggerId = id;
      return id;
    };
    switch (input.type) {
      case 'events_api':
        if (typeof payload.event_id !== 'string' || payload.event_id === '') payload.event_id = slackId('Ev');
        result.eventId = payload.event_id as string;
        break;
      case 'slash_commands':
        payload.trigger_id = newTrigger();
        payload.response_url = newResponseUrl('commands');
        break;
      case 'interactive':
        if ('trigger_id' in payload) payload.trigger_id = newTrigger();
        if ('response_url' in payload) payload.response_url = newResponseUrl(responseUrlKind(payload.type));
        if (Array.isArray(payload.response_urls)) {
          payload.response_urls = (payload.response_urls as unknown[]).map((entry) =>
            entry && typeof entry === 'object' ? { ...(entry as object), response_url: newResponseUrl('app') } : entry,
          );
        }
        break;
    }
    const accepts = input.acceptsResponsePayload ?? defaultAcceptsResponsePayload(input.type, payload.type);
    let payloadJson: string;
    try {
      payloadJson = JSON.stringify(payload);
    } catch (err) {
      throw new SlackSimError('ERR_SIM_INVALID_INPUT', 'inject: payload is not serializable to JSON', { cause: err });
    }
    item.body = `,"payload":${payloadJson},"type":"${input.type}","accepts_response_payload":${accepts}`;
    return { item, payload, result };
  }

  private newFlight(item: Item, payload: Record<string, unknown>, envelopeId: string, retryAttempt: number, retryReason: string): Flight {
    const record: Delivery = {
      envelopeId,
      type: item.type,
      socketId: null,
      createdAt: nowMs(),
      sentAt: null,
      retryAttempt,
      retryReason,
      waitedForSocket: false,
      acked: false,
      payload,
    };
    if (item.type === 'events_api') record.eventId = payload.event_id as string;
    const flight: Flight = { record, item, deadline: 0 };
    this.records.push(record);
    this.byEnvelope.set(envelopeId, flight);
    if (this.records.length > this.options.maxRecords) this.forgetOldest();
    return flight;
  }

  private route(flight: Flight): void {
    // FIFO: nothing overtakes an envelope that is already waiting.
    if (this.waiting.length === 0) {
      const socket = this.deps.pick();
      if (socket) return this.send(flight, socket);
    }
    flight.record.waitedForSocket = true;
    this.counts.waitedForSocket += 1;
    this.waiting.push(flight);
    this.flush();
  }

  private send(flight: Flight, socket: SimSocket): void {
    const { record, item } = flight;
    const retry = item.type === 'events_api' ? `,"retry_attempt":${record.retryAttempt},"retry_reason":${JSON.stringify(record.retryReason)}` : '';
    socket.ws.send(`{"envelope_id":"${record.envelopeId}"${item.body}${retry}}`);
    const now = nowMs();
    record.socketId = socket.id;
    record.sentAt = now;
    socket.info.envelopesSent += 1;
    this.counts.sent += 1;
    if (!item.activated) {
      item.activated = true;
      if (item.triggerId) this.deps.triggers.activate(item.triggerId, now);
      for (const url of item.responseUrls) this.deps.responseUrls.activate(url, now);
    }
    if (item.type === 'events_api') {
      flight.deadline = now + this.options.redeliveryTimeoutMs;
      this.deadlines.push(flight);
      if (!this.deadlineTimer) this.armDeadlineTimer();
    }
    this.deps.onDelivery(record);
  }

  private armDeadlineTimer(): void {
    const next = this.deadlines.peek();
    if (!next) {
      this.deadlineTimer = undefined;
      return;
    }
    this.deadlineTimer = setTimeout(() => this.onDeadlines(), Math.max(0, next.deadline - nowMs()));
  }

  private onDeadlines(): void {
    const now = nowMs();
    for (let next = this.deadlines.peek(); next && next.deadline <= now; next = this.deadlines.peek()) {
      this.deadlines.shift();
      this.expire(next);
    }
    this.armDeadlineTimer();
  }

  private expire(flight: Flight): void {
    const { record, item } = flight;
    if (record.acked || item.settled) return;
    if (record.retryAttempt >= this.options.maxRedeliveries) {
      item.settled = true;
      this.counts.gaveUp += 1;
      this.options.logger.debug({ envelope_id: record.envelopeId, event_id: record.eventId }, 'event never acked: giving up');
      return;
    }
    this.counts.redelivered += 1;
    this.route(this.newFlight(item, record.payload, randomUUID(), record.retryAttempt + 1, 'timeout'));
  }

  private recordAck(socket: SimSocket, envelopeId: string, payload: Record<string, unknown> | undefined): void {
    const receivedAt = nowMs();
    const flight = this.byEnvelope.get(envelopeId);
    const record = flight?.record;
    const ack: AckRecord = {
      envelopeId,
      socketId: socket.id,
      receivedAt,
      latencyMs: record && record.sentAt !== null ? receivedAt - record.sentAt : null,
      known: record !== undefined,
      crossSocket: record !== undefined && record.socketId !== socket.id,
      duplicate: record !== undefined && record.acked,
    };
    if (ack.latencyMs !== null && ack.latencyMs > ACK_DEADLINE_MS) ack.late = true;
    if (payload !== undefined) ack.payload = payload;
    if (!record) this.counts.unknownAcks += 1;
    else if (ack.duplicate) this.counts.duplicateAcks += 1;
    else {
      record.acked = true;
      flight!.item.settled = true;
      if (record.sentAt !== null) this.counts.acked += 1;
      if (ack.latencyMs !== null) this.recordLatency(ack.latencyMs);
    }
    if (ack.crossSocket) this.counts.crossSocketAcks += 1;
    this.ackRecords.push(ack);
    if (this.ackRecords.length > this.options.maxRecords) this.ackRecords = trimOldest(this.ackRecords, this.options.maxRecords);
    this.deps.onAck(ack);
  }

  /**
   * Bounded memory for long benchmark runs: drops the oldest records, keeps what can still be
   * acked. A trimmed record that is not done yet becomes an orphan, checked again at each trim and
   * forgotten once done, so `byEnvelope` holds at most the kept records plus the envelopes still
   * open (unsettled events, envelopes waiting for a socket).
   */
  private forgetOldest(): void {
    const kept = trimOldest(this.records, this.options.maxRecords);
    if (kept === this.records) return;
    const dropped = this.records.length - kept.length;
    const orphans: string[] = [];
    const forgetIfDone = (envelopeId: string) => {
      const flight = this.byEnvelope.get(envelopeId);
      if (!flight) return;
      if (this.isDone(flight)) this.byEnvelope.delete(envelopeId);
      else orphans.push(envelopeId);
    };
    for (const envelopeId of this.orphans) forgetIfDone(envelopeId);
    for (let i = 0; i < dropped; i++) forgetIfDone(this.records[i]!.envelopeId);
    this.orphans = orphans;
    this.records = kept;
  }

  /** No ack of this delivery can change anything any more that a reader could still look up. */
  private isDone({ record, item }: Flight): boolean {
    // Unsettled events_api envelopes stay findable: their redelivery may still be acked.
    return record.acked || item.settled || (record.type !== 'events_api' && record.sentAt !== null);
  }

  private frameError(socket: SimSocket, problem: string): void {
    this.counts.clientFrameErrors += 1;
    this.options.logger.warn({ connection_id: socket.id, problem }, 'malformed client frame ignored');
  }
}
