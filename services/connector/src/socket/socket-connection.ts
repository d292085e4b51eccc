// One Socket Mode WebSocket, from handshake to close. Like ws's own WebSocket: an explicit `state`
// with one switch for transitions, and `close` emitted exactly once, behind a guard. It knows the
// wire (frames, acks, liveness) and nothing about slots, queues or reconnecting.
//
//   connecting ──hello──▶ open ──disconnect frame──▶ draining
//        │                 │                            │
//        └─────────────────┴──── socket ended ──────────┴──▶ closed
//
// A disconnect frame before hello also moves connecting → draining, and we close the socket.
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import type { Logger } from 'pino';
import { ackFrame, FrameError, parseFrame, type DisconnectFrame, type Envelope, type HelloFrame } from '@socketworks/protocol';
import { describeError, WriteCoalescer } from '@socketworks/runtime';
import { SocketNotOpenError, SocketOpenError } from '../errors';
import type { ConnectorMetrics } from '../metrics';

export type SocketState = 'connecting' | 'open' | 'draining' | 'closed';

/** Why a socket ended, from our side. Also the `reason` label of the disconnects metric (with Slack's reasons). */
export type SocketEndReason = 'closed_by_peer' | 'closed_by_us' | 'liveness_timeout' | 'hello_timeout' | 'error';

export interface SocketConnectionOptions {
  /** The one-off URL from `apps.connections.open`. */
  url: string;
  /** Connection slot this socket serves (logs, metrics). */
  slot: number;
  logger: Logger;
  metrics: ConnectorMetrics;
  /** Our own frame limit (`SLACK_MAX_FRAME_BYTES`): above it a frame is rejected and the socket stays up. */
  maxFrameBytes: number;
  /**
   * ws's own limit, far above ours: ws closes the socket (1009) on a frame over `maxPayload`,
   * which would turn one bad frame into a reconnect. @defaultValue 64 MiB
   */
  maxPayloadBytes?: number;
  /** From handshake start to hello. @defaultValue 10000 */
  helloTimeoutMs?: number;
  /** Our WS ping period. @defaultValue 5000 */
  pingIntervalMs?: number;
  /**
   * With no inbound frame, pong or ping for this long the socket is taken for half-open and
   * terminated. Checked every `pingIntervalMs`, so a dead socket is detected within
   * `livenessTimeoutMs + pingIntervalMs` (15 s by default). @defaultValue 10000
   */
  livenessTimeoutMs?: number;
  /** After our close frame, how long to wait for the peer's before terminating. @defaultValue 2000 */
  closeTimeoutMs?: number;
}

export interface EnvelopeReceipt {
  /** Epoch ms at frame receipt (stored in the job). */
  receivedAtMs: number;
  /** `process.hrtime.bigint()` at frame receipt (ack latency). */
  receivedAtHr: bigint;
}

export interface SocketCloseInfo {
  reason: SocketEndReason;
  /** WebSocket close code (1006 when the socket was terminated). */
  code: number;
  /** The `disconnect` frame's reason, when Slack sent one before the socket ended. */
  disconnectReason?: string;
  /** How long the socket was open (hello → close), when it got a hello. */
  openForMs?: number;
  error?: Error;
}

export interface SocketConnectionEvents {
  hello: [HelloFrame];
  envelope: [Envelope, EnvelopeReceipt];
  /**
   * An envelope that arrived after our close frame went out: it cannot be acked on this socket
   * (RFC 6455). Without a listener it is counted in ack_failures and dropped.
   */
  late_envelope: [Envelope, EnvelopeReceipt];
  disconnect: [DisconnectFrame];
  close: [SocketCloseInfo];
}

const MIB = 1024 * 1024;

export class SocketConnection extends EventEmitter<SocketConnectionEvents> {
  /** Random id for logs and metrics; Slack's side has no id we can see. */
  readonly connectionId = randomBytes(6).toString('hex');
  readonly slot: number;
  readonly logger: Logger;
  private _state: SocketState = 'connecting';
  private ws: WebSocket | undefined;
  private helloTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private lastSeenAt = 0;
  private lastCheckAt = 0;
  private openedAt: number | undefined;
  private endReason: SocketEndReason | undefined;
  private endError: Error | undefined;
  private _disconnectReason: string | undefined;
  private countedOpen = false;
  private paused = false;
  /** Work whose ack will be written on this socket; `close()` lets it finish first. */
  private readonly tracked = new Set<Promise<unknown>>();
  private readonly closed: Promise<SocketCloseInfo>;
  private resolveClosed!: (info: SocketCloseInfo) => void;
  private helloWaiter: { resolve: (hello: HelloFrame) => void; reject: (err: Error) => void } | undefined;
  /** The TCP socket under the WebSocket (from the handshake response), once upgraded. */
  private tcp: Socket | undefined;
  /** The acks written in one turn (often many: one Redis reply chunk resolves many adds) go out in one write. */
  private readonly ackWrites = new WriteCoalescer(() => this.tcp);

  constructor(private readonly options: SocketConnectionOptions) {
    super();
    this.slot = options.slot;
    this.logger = options.logger.child({ slot: options.slot, connection_id: this.connectionId });
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  get state(): SocketState {
    return this._state;
  }

  /** The `disconnect` frame's reason, once Slack sent one (in any state, also before or right behind hello). */
  get disconnectReason(): string | undefined {
    return this._disconnectReason;
  }

  /** Whether a frame (an ack) can be written now: open, and our close frame not sent. */
  get canSend(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** Resolves with the close details once the socket has ended (whatever the cause). */
  whenClosed(): Promise<SocketCloseInfo> {
    return this.closed;
  }

  /** Opens the socket; resolves on hello. Rejects with {@link SocketOpenError} if it ends or times out first. */
  open(): Promise<HelloFrame> {
    if (this.ws) throw new Error('SocketConnection.open() called twice');
    const hello = new Promise<HelloFrame>((resolve, reject) => (this.helloWaiter = { resolve, reject }));
    this.helloTimer = setTimeout(() => this.terminate('hello_timeout'), this.options.helloTimeoutMs ?? 10000);
    let ws: WebSocket;
    try {
      ws = new WebSocket(this.options.url, {
        maxPayload: this.options.maxPayloadBytes ?? 64 * MIB,
        handshakeTimeout: this.options.helloTimeoutMs ?? 10000,
        perMessageDeflate: false,
      });
    } catch (err) {
      // An unparsable URL throws synchronously; report it the same way as any failed open.
      queueMicrotask(() => this.finish(1006, err instanceof Error ? err : new Error(String(err))));
      return hello;
    }
    this.ws = ws;
    ws.on('upgrade', (response) => {
      this.tcp = response.socket;
    });
    ws.on('open', () => this.onOpen());
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('ping', () => this.onLife());
    ws.on('pong', () => this.onLife());
    ws.on('error', (err) => {
      this.endError ??= err;
      this.logger.warn({ err: describeError(err) }, 'socket error');
    });
    ws.on('close', (code) => this.finish(code));
    return hello;
  }

  /**
   * Writes the ack on this socket. Resolves once ws has handed the frame to the OS; rejects with
   * {@link SocketNotOpenError} if the socket is no longer open or the write fails.
   */
  ack(envelopeId: string, payload?: Record<string, unknown>): Promise<void> {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      return Promise.reject(new SocketNotOpenError(`socket ${this.connectionId} is ${this._state}: cannot ack ${envelopeId}`));
    }
    this.ackWrites.hold();
    return new Promise((resolve, reject) => {
      ws.send(ackFrame(envelopeId, payload), (err) => {
        if (err) reject(new SocketNotOpenError(`ack write failed on socket ${this.connectionId}`, { cause: err }));
        else resolve();
      });
    });
  }

  /** Registers work that will ack on this socket, so a graceful close waits for it. */
  track<T>(work: Promise<T>): Promise<T> {
    this.tracked.add(work);
    const untrack = () => this.tracked.delete(work);
    work.then(untrack, untrack);
    return work;
  }

  get trackedCount(): number {
    return this.tracked.size;
  }

  /**
   * Stops reading frames (back-pressure). Envelopes already read are still processed. A no-op
   * before the handshake completes (ws cannot pause then); the slot re-applies it after hello.
   */
  pause(): void {
    if (this.paused || !this.ws || this.ws.readyState !== WebSocket.OPEN) return;
    this.paused = true;
    this.ws.pause();
  }

  resume(): void {
    if (!this.paused || !this.ws) return;
    this.paused = false;
    // Time spent paused is not silence from Slack: pongs were simply not read.
    this.lastSeenAt = Date.now();
    this.ws.resume();
  }

  /**
   * Graceful close: lets tracked work finish (so its acks are written, bounded by
   * `drainTimeoutMs`), then sends close 1000 and waits for the peer's close (bounded by
   * `closeTimeoutMs`), then terminates. Resolves once the work of envelopes that arrived after our
   * close frame has settled too (their acks go through another replica; same bound), so whoever
   * owned the socket is still its owner while those acks are written.
   */
  async close(drainTimeoutMs = 5000): Promise<SocketCloseInfo> {
    if (this._state === 'closed') return this.closed;
    await this.drain(drainTimeoutMs, 'closing socket with acks still pending');
    const info = await this.closeNow();
    await this.drain(drainTimeoutMs, 'socket closed with the acks of late envelopes still pending');
    return info;
  }

  private closeNow(): Promise<SocketCloseInfo> {
    const ws = this.ws;
    if (!ws) {
      this.finish(1000);
      return this.closed;
    }
    if (this.isClosed()) return this.closed;
    this.endReason ??= 'closed_by_us';
    if (ws.readyState === WebSocket.CONNECTING) {
      ws.terminate();
    } else {
      // A paused socket would never read the peer's close frame.
      this.resume();
      ws.close(1000);
      const timer = setTimeout(() => ws.terminate(), this.options.closeTimeoutMs ?? 2000);
      void this.closed.then(() => clearTimeout(timer));
    }
    return this.closed;
  }

  /** Drops the socket at once (no close handshake). */
  terminate(reason: SocketEndReason): void {
    if (this._state === 'closed') return;
    this.endReason ??= reason;
    if (this.ws) this.ws.terminate();
    else this.finish(1006);
  }

  /** Read through a method: the state changes across the awaits in `close()`. */
  private isClosed(): boolean {
    return this._state === 'closed';
  }

  /**
   * Waits until tracked work has settled, or the bound passes. Loops because frames ws had
   * already buffered are still delivered after pause(), adding work while we wait.
   */
  private async drain(timeoutMs: number, pendingMessage: string): Promise<void> {
    if (this.tracked.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        timedOut = true;
        resolve();
      }, timeoutMs);
    });
    while (this.tracked.size > 0 && !timedOut) {
      await Promise.race([Promise.allSettled([...this.tracked]), timeout]);
    }
    clearTimeout(timer);
    if (timedOut) {
      this.logger.warn({ pending: this.tracked.size, timeout_ms: timeoutMs }, pendingMessage);
    }
  }

  /** The one place state changes. Returns false (and changes nothing) for a transition that is not allowed. */
  private transition(next: SocketState): boolean {
    const prev = this._state;
    switch (next) {
      case 'connecting':
        return false;
      case 'open':
        if (prev !== 'connecting') return false;
        break;
      case 'draining':
        if (prev !== 'connecting' && prev !== 'open') return false;
        break;
      case 'closed':
        if (prev === 'closed') return false;
        break;
    }
    this._state = next;
    const counts = next === 'open' || (next === 'draining' && this.countedOpen);
    if (counts !== this.countedOpen) {
      this.countedOpen = counts;
      this.options.metrics.socketsOpen.inc({ slot: String(this.slot) }, counts ? 1 : -1);
    }
    return true;
  }

  private onOpen(): void {
    this.lastSeenAt = Date.now();
    this.lastCheckAt = this.lastSeenAt;
    const interval = this.options.pingIntervalMs ?? 5000;
    const timeout = this.options.livenessTimeoutMs ?? 10000;
    this.pingTimer = setInterval(() => this.checkLiveness(timeout), interval);
  }

  private checkLiveness(timeoutMs: number): void {
    const ws = this.ws;
    const now = Date.now();
    const sinceLastCheckMs = now - this.lastCheckAt;
    this.lastCheckAt = now;
    if (!ws || ws.readyState !== WebSocket.OPEN || this.paused) return;
    // This timer ran far later than scheduled: our process was stalled (GC, SIGSTOP, a frozen VM)
    // and the frames Slack sent meanwhile are still unread. Judge silence from now on.
    if (sinceLastCheckMs > 2 * (this.options.pingIntervalMs ?? 5000)) {
      this.lastSeenAt = now;
      ws.ping();
      return;
    }
    const silentForMs = now - this.lastSeenAt;
    if (silentForMs > timeoutMs) {
      this.logger.warn({ silent_for_ms: silentForMs }, 'socket silent past the liveness timeout: terminating (half-open)');
      this.terminate('liveness_timeout');
      return;
    }
    ws.ping();
  }

  private onLife(): void {
    this.lastSeenAt = Date.now();
  }

  private onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    const receipt: EnvelopeReceipt = { receivedAtMs: Date.now(), receivedAtHr: process.hrtime.bigint() };
    this.lastSeenAt = receipt.receivedAtMs;
    // binaryType is 'nodebuffer', so fragments arrive joined into one Buffer.
    const buffer = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    let frame;
    try {
      if (isBinary) throw new FrameError('ERR_FRAME_NOT_JSON', 'binary frame (Slack sends text frames)');
      // Oversized frames are rejected before decoding, so a huge frame costs no UTF-8 pass.
      const text = buffer.length > this.options.maxFrameBytes ? '' : buffer.toString('utf8');
      frame = parseFrame(text, buffer.length, { maxFrameBytes: this.options.maxFrameBytes });
    } catch (err) {
      this.rejectFrame(err, buffer.length);
      return;
    }
    switch (frame.type) {
      case 'hello':
        this.onHello(frame);
        return;
      case 'disconnect':
        this.onDisconnect(frame);
        return;
      default:
        if (this.ws?.readyState !== WebSocket.OPEN) {
          // Our close frame is out: no ack can be written on this socket any more. A listener
          // (the slot) may enqueue it and have another replica ack it; otherwise it is dropped,
          // since a job without an ack would run a handler the user was told failed (Slack
          // redelivers events).
          if (this.listenerCount('late_envelope') > 0) {
            this.logger.info({ envelope_id: frame.envelope_id, type: frame.type }, 'envelope arrived after our close frame');
            this.emitSafely('late_envelope', frame, receipt);
            return;
          }
          this.options.metrics.ackFailures.inc({ type: frame.type });
          this.logger.warn({ envelope_id: frame.envelope_id, type: frame.type }, 'envelope arrived while the socket was closing: not acked');
          return;
        }
        this.emitSafely('envelope', frame, receipt);
    }
  }

  private rejectFrame(err: unknown, bytes: number): void {
    const code = err instanceof FrameError ? err.code : 'ERR_FRAME_INVALID';
    const envelopeId = err instanceof FrameError ? err.envelopeId : undefined;
    this.options.metrics.framesRejected.inc({ code });
    // The message describes the problem; the frame itself is never logged (it may carry secrets).
    this.logger.warn(
      { code, envelope_id: envelopeId, bytes, err: describeError(err).message },
      'frame rejected',
    );
  }

  private onHello(hello: HelloFrame): void {
    if (!this.transition('open')) {
      this.logger.warn({ state: this._state }, 'unexpected hello: ignored');
      return;
    }
    clearTimeout(this.helloTimer);
    this.openedAt = Date.now();
    this.helloWaiter?.resolve(hello);
    this.helloWaiter = undefined;
    this.emitSafely('hello', hello);
  }

  private onDisconnect(frame: DisconnectFrame): void {
    this._disconnectReason ??= frame.reason;
    this.options.metrics.disconnects.inc({ reason: reasonLabel(frame.reason) });
    this.logger.info({ reason: frame.reason, state: this._state }, 'disconnect frame received');
    const beforeHello = this._state === 'connecting';
    this.transition('draining');
    this.emitSafely('disconnect', frame);
    // Refused before hello (over the cap, Socket Mode off, a refresh): nothing was delivered here,
    // so close now rather than wait out the hello bound; open() rejects with the reason kept.
    if (beforeHello) void this.closeNow();
  }

  /** A listener bug must not take the socket's read loop down with it. */
  private emitSafely<K extends keyof SocketConnectionEvents>(event: K, ...args: SocketConnectionEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: SocketConnectionEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      // Logged at error so it is seen; the next frame is still read, which is safe because each
      // frame is handled independently.
      this.logger.error({ err: describeError(err), event }, 'socket listener threw');
    }
  }

  private finish(code: number, error?: Error): void {
    if (!this.transition('closed')) return;
    clearTimeout(this.helloTimer);
    clearInterval(this.pingTimer);
    const reason: SocketEndReason = this.endReason ?? (error || this.endError ? 'error' : 'closed_by_peer');
    // A socket that ended after a disconnect frame was counted under Slack's reason already.
    if (this._disconnectReason === undefined) this.options.metrics.disconnects.inc({ reason });
    const info: SocketCloseInfo = { reason, code };
    if (this._disconnectReason !== undefined) info.disconnectReason = this._disconnectReason;
    if (this.openedAt !== undefined) info.openForMs = Date.now() - this.openedAt;
    const cause = error ?? this.endError;
    if (cause) info.error = cause;
    if (this.helloWaiter) {
      const failure =
        reason === 'hello_timeout'
          ? new SocketOpenError('ERR_SOCKET_HELLO_TIMEOUT', `no hello within ${this.options.helloTimeoutMs ?? 10000} ms`, { cause })
          : new SocketOpenError('ERR_SOCKET_CLOSED_BEFORE_HELLO', `socket ended before hello (${reason}, code ${code})`, { cause });
      this.helloWaiter.reject(failure);
      this.helloWaiter = undefined;
    }
    this.logger.info({ reason, code, disconnect_reason: this._disconnectReason, open_for_ms: info.openForMs }, 'socket closed');
    this.resolveClosed(info);
    this.emitSafely('close', info);
  }
}

const REASON_LABEL = /^[a-z_]{1,32}$/;

/** Slack's reasons as sent when they look like reasons; anything else under one label. */
function reasonLabel(reason: string): string {
  return REASON_LABEL.test(reason) ? reason : 'other';
}
