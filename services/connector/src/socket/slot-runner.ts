// Keeps ONE connection slot's socket up: fetch a URL, connect, wait for hello, serve; on a refresh
// open the replacement before the old socket goes (make-before-break); on a drop reconnect at once,
// then with jittered back-off. Reason-aware, unlike the official clients (PEER-BEHAVIOUR.md §1):
// `too_many_websockets` backs off ≥ 60 s instead of looping, `link_disabled` stops for good.
//
// start()/stop() are driven from outside: the lease keeper (src/slots) calls start() when this
// replica wins the slot's lease, stop({ immediate: true }) when it loses it, and
// stop({ keepReading: true }) once the slot was handed over to another replica. Every ack first
// asks the keeper's gate whether the lease is still valid (fencing), and an ack that can no longer
// be written on its socket (our close frame is out) is forwarded to another replica.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { DisconnectFrame, Envelope, HelloFrame } from '@socketworks/protocol';
import { describeError } from '@socketworks/runtime';
import { backoffDelayMs, jitteredAtLeast } from '../backoff';
import { LeaseInvalidError, SlackAuthFatalError, SlackConnectionsOpenError } from '../errors';
import type { EnvelopeIngestor } from '../ingest/envelope-ingestor';
import type { ConnectorMetrics } from '../metrics';
import { openConnectionUrl } from './connections-open';
import { SocketConnection, type EnvelopeReceipt, type SocketCloseInfo } from './socket-connection';

/** setTimeout fires at once for delays past 2^31 − 1 ms; longer sleeps are cut to that. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Every bound the slot works within. Defaults in {@link DEFAULT_SLOT_TIMINGS}; tests shorten them. */
export interface SlotTimings {
  /** One `apps.connections.open` call. @defaultValue 10000 */
  connectionsOpenTimeoutMs: number;
  /** Handshake start → hello. @defaultValue 10000 */
  helloTimeoutMs: number;
  /** Our WS ping period. @defaultValue 5000 */
  pingIntervalMs: number;
  /** Silence after which a socket is half-open (detected within this + pingIntervalMs). @defaultValue 10000 */
  livenessTimeoutMs: number;
  /** Our close frame → peer's close frame, then terminate. @defaultValue 2000 */
  closeTimeoutMs: number;
  /**
   * After the replacement's hello, how long the old socket keeps reading and acking while waiting
   * for Slack to close it (Slack closes ~10 s after `warning`). @defaultValue 10000
   */
  retireTimeoutMs: number;
  /** Before we close a socket, how long its in-flight enqueues may take to write their acks. @defaultValue 5000 */
  ackDrainTimeoutMs: number;
  /** First reconnect delay after a repeated failure; doubles per failure. @defaultValue 500 */
  reconnectBaseMs: number;
  /** @defaultValue 30000 */
  reconnectCapMs: number;
  /** `too_many_websockets`: wait at least this (plus up to 50% jitter). @defaultValue 60000 */
  tooManyWebsocketsBackoffMs: number;
  /** A socket open this long counts as healthy: its drop reconnects at once. @defaultValue 30000 */
  stableAfterMs: number;
  /**
   * How often a refresh waiting for room under Slack's socket cap asks again (its old socket's
   * close ends the wait at once). @defaultValue 250
   */
  refreshRoomRetryMs: number;
}

export const DEFAULT_SLOT_TIMINGS: Readonly<SlotTimings> = Object.freeze({
  connectionsOpenTimeoutMs: 10000,
  helloTimeoutMs: 10000,
  pingIntervalMs: 5000,
  livenessTimeoutMs: 10000,
  closeTimeoutMs: 2000,
  retireTimeoutMs: 10000,
  ackDrainTimeoutMs: 5000,
  reconnectBaseMs: 500,
  reconnectCapMs: 30000,
  tooManyWebsocketsBackoffMs: 60000,
  stableAfterMs: 30000,
  refreshRoomRetryMs: 250,
});

export interface HeldSockets {
  open: number;
  connecting: number;
}

export type SlotState =
  /** Not started, or stopped: holds no socket and does not reconnect. */
  | 'idle'
  /** Keeping a socket up (connected or not at this instant). */
  | 'running'
  | 'stopping'
  /** Slack said `link_disabled`: Socket Mode is off for the app. Needs an operator. */
  | 'link_disabled'
  /** `apps.connections.open` refused the token. Needs an operator. */
  | 'auth_failed';

export interface SlotRunnerOptions {
  slot: number;
  apiUrl: string;
  appToken: string;
  maxFrameBytes: number;
  logger: Logger;
  metrics: ConnectorMetrics;
  ingestor: EnvelopeIngestor;
  timings: SlotTimings;
  /** Sockets this process holds right now, for the hello `num_connections` check. */
  heldSockets: () => HeldSockets;
  /**
   * Sockets the whole deployment reports (every live replica), for the hello `num_connections`
   * check. @defaultValue this process's {@link heldSockets}
   */
  deploymentSockets?: () => Promise<HeldSockets>;
  /**
   * Asked right before every ack: true = the slot's lease is valid; a promise = wait for it (a
   * handover in progress, a lapsed lease being renewed); false = refuse. @defaultValue always true
   */
  ackGate?: (slot: number) => boolean | Promise<boolean>;
  /** Told when an ack was refused by the gate (the keeper closes the slot if the lease is gone). */
  onFenced?: (slot: number) => void;
  /**
   * Acks envelopes whose socket can no longer send (our close frame is out) through another
   * replica's socket (cross-socket ack). Undefined (or a function returning undefined: no
   * forwarder right now) → such envelopes are not even enqueued.
   */
  forwardAck?: (slot: number) => ((slot: number, envelopeId: string, payload?: Record<string, unknown>) => Promise<void>) | undefined;
  /**
   * Asked before a refresh opens its replacement (the old socket still up): true once one more
   * socket fits under Slack's cap across the deployment, reserved until `releaseRefresh`; false =
   * not now, ask again shortly. @defaultValue always true
   */
  reserveRefresh?: (slot: number) => Promise<boolean>;
  /** The replacement has its hello, or gave up: the reservation goes. */
  releaseRefresh?: (slot: number) => void;
  fetch?: typeof fetch;
}

export interface SlotStopOptions {
  /** Terminate at once (a lost lease: another replica may already own the slot). */
  immediate?: boolean;
  /**
   * Keep reading until the close frame goes out (a handover: the new owner's socket is up, and
   * every envelope read now is still acked here or forwarded). @defaultValue false (stop reading first)
   */
  keepReading?: boolean;
}

export interface SlotRunnerEvents {
  /** A socket got its hello and now serves the slot. */
  connected: [SocketConnection, HelloFrame];
  /** The token was refused: no slot of this app can connect. */
  auth_failed: [SlackAuthFatalError];
  /** Socket Mode was turned off for the app. */
  link_disabled: [];
  /** A socket of the slot was created, got its hello or ended (the deployment's socket count changed). */
  sockets: [];
}

export class SlotRunner extends EventEmitter<SlotRunnerEvents> {
  readonly slot: number;
  private _state: SlotState = 'idle';
  /** The socket serving the slot (may be draining while its replacement connects). */
  private current: SocketConnection | undefined;
  /** Sockets no longer serving the slot but not closed yet (after a refresh they keep reading and acking until Slack closes them). */
  private readonly retiring = new Set<SocketConnection>();
  /** A socket between URL and hello. */
  private pending: SocketConnection | undefined;
  private establishing: Promise<void> | undefined;
  private abort: AbortController | undefined;
  private wake: (() => void) | undefined;
  /** Consecutive failures (open errors, hello timeouts, early drops); 0 after a stable socket. */
  private failures = 0;
  private readsPaused = false;
  /** Epoch ms before which this slot does not connect (Slack said too_many_websockets). */
  private tooManyUntil = 0;
  private stopping: Promise<void> | undefined;
  private readonly logger: Logger;

  constructor(private readonly options: SlotRunnerOptions) {
    super();
    this.slot = options.slot;
    this.logger = options.logger.child({ slot: options.slot });
  }

  get state(): SlotState {
    return this._state;
  }

  /** Whether a socket with a hello serves the slot right now. */
  get connected(): boolean {
    return this.current !== undefined && (this.current.state === 'open' || this.current.state === 'draining');
  }

  get connectionId(): string | undefined {
    return this.current?.connectionId;
  }

  /**
   * This slot's sockets: `open` = hello received and not closed (normally 1; 2 during a refresh),
   * `connecting` = between URL and hello (Slack may already count it).
   */
  heldSockets(): HeldSockets {
    const held = { open: 0, connecting: 0 };
    for (const socket of this.allSockets()) {
      if (socket.state === 'open' || socket.state === 'draining') held.open += 1;
      else if (socket.state === 'connecting') held.connecting += 1;
    }
    return held;
  }

  /** Begins keeping the slot's socket up. Idempotent. */
  start(): void {
    if (this._state !== 'idle') return;
    this._state = 'running';
    this.abort = new AbortController();
    this.ensureSocket(0);
  }

  /**
   * Releases the slot: no more reconnects, then every socket closes. Graceful by default (stop
   * reading, let in-flight acks be written, close 1000); `immediate` terminates at once (a lost
   * lease: another replica may already own the slot); `keepReading` reads and acks until the
   * close frame goes out (a handover).
   */
  stop(options: SlotStopOptions = {}): Promise<void> {
    if (this._state === 'idle') return Promise.resolve();
    this.stopping ??= this.stopSockets(options).finally(() => {
      this.stopping = undefined;
    });
    return this.stopping;
  }

  private async stopSockets(options: SlotStopOptions): Promise<void> {
    const final = this._state === 'link_disabled' || this._state === 'auth_failed' ? this._state : 'idle';
    this._state = 'stopping';
    this.cancelPendingWork();
    const sockets = this.allSockets();
    if (!options.keepReading) for (const socket of sockets) socket.pause();
    if (options.immediate) {
      for (const socket of sockets) socket.terminate('closed_by_us');
    }
    await Promise.all(sockets.map((socket) => socket.close(this.options.timings.ackDrainTimeoutMs)));
    await this.establishing;
    this.current = undefined;
    this._state = final;
  }

  /**
   * Stops reconnecting for an app-wide reason another slot discovered. Sockets still up keep
   * serving under `auth_failed` (they work until Slack closes them); under `link_disabled` they close.
   */
  halt(reason: 'auth_failed' | 'link_disabled'): void {
    // An idle slot (its lease not yet won) is halted too: it reports the reason and never starts.
    if (this._state !== 'running' && this._state !== 'idle') return;
    this._state = reason;
    this.cancelPendingWork();
    if (reason === 'link_disabled') this.closeAll();
  }

  /** Back-pressure from the ingestor: stop/restart reading on every socket of the slot. */
  pauseReads(): void {
    this.readsPaused = true;
    for (const socket of this.allSockets()) socket.pause();
  }

  resumeReads(): void {
    this.readsPaused = false;
    for (const socket of this.allSockets()) socket.resume();
  }

  private allSockets(): SocketConnection[] {
    const sockets = [...this.retiring];
    if (this.current) sockets.push(this.current);
    if (this.pending) sockets.push(this.pending);
    return sockets;
  }

  private cancelPendingWork(): void {
    this.abort?.abort();
    this.wake?.();
    this.pending?.terminate('closed_by_us');
  }

  private closeAll(): void {
    for (const socket of this.allSockets()) void socket.close(this.options.timings.ackDrainTimeoutMs);
  }

  /** Single flight: at most one replacement is being established at a time. */
  private ensureSocket(delayMs: number): void {
    if (this.establishing || this._state !== 'running') return;
    this.establishing = this.establish(delayMs).finally(() => {
      this.establishing = undefined;
    });
  }

  private async establish(initialDelayMs: number): Promise<void> {
    let delayMs = initialDelayMs;
    while (this._state === 'running') {
      // A too_many_websockets back-off outlives stop()/start() (the lease keeper restarts slots).
      delayMs = Math.max(delayMs, this.tooManyUntil - Date.now());
      if (delayMs > 0 && !(await this.sleep(delayMs))) return;
      let reserved = false;
      let retryInMs: number | undefined;
      try {
        reserved = await this.roomForReplacement();
        if (this._state !== 'running') return;
        const url = await this.fetchUrl();
        // stop() may have come while apps.connections.open was answering: no socket for a stopped slot.
        if (url === undefined || this._state !== 'running') return;
        if (typeof url === 'number') {
          delayMs = url;
          continue;
        }
        retryInMs = await this.connect(url);
      } finally {
        if (reserved) this.options.releaseRefresh?.(this.slot);
      }
      if (retryInMs === undefined) return;
      delayMs = retryInMs;
    }
  }

  /**
   * A replacement while the slot's socket still serves (a refresh) is an extra socket: it waits
   * until one more fits under Slack's cap across the deployment (another refresh or a handover may
   * hold the last room), asking again every `refreshRoomRetryMs`. The old socket serves meanwhile;
   * once it has closed the new socket is no extra one and goes at once (its close ends the wait).
   * True when a reservation was taken.
   */
  private async roomForReplacement(): Promise<boolean> {
    const reserve = this.options.reserveRefresh;
    const serving = this.current;
    if (!reserve || serving === undefined) return false;
    const servingClosed = serving.whenClosed();
    let waitedSince: number | undefined;
    while (this._state === 'running' && this.current === serving && serving.state !== 'closed') {
      if (await reserve(this.slot)) {
        if (waitedSince !== undefined) this.logger.info({ waited_ms: Date.now() - waitedSince }, 'refresh: room under the socket cap, opening the replacement');
        return true;
      }
      if (waitedSince === undefined) {
        waitedSince = Date.now();
        this.logger.info("refresh: the replacement waits: one more socket would take the app over Slack's socket cap (the old socket serves meanwhile)");
      }
      if (!(await this.sleep(this.options.timings.refreshRoomRetryMs, servingClosed))) return false;
    }
    return false;
  }

  /** A fresh socket URL; or the delay before the next try; or undefined when the slot must stop trying. */
  private async fetchUrl(): Promise<string | number | undefined> {
    try {
      return await openConnectionUrl({
        apiUrl: this.options.apiUrl,
        appToken: this.options.appToken,
        timeoutMs: this.options.timings.connectionsOpenTimeoutMs,
        signal: this.abort?.signal,
        fetch: this.options.fetch,
      });
    } catch (err) {
      if (this._state !== 'running') return undefined;
      if (err instanceof SlackAuthFatalError) {
        this.onAuthFailed(err);
        return undefined;
      }
      const error = err instanceof SlackConnectionsOpenError ? err.slackError : 'unknown';
      this.options.metrics.connectionsOpenErrors.inc({ error });
      this.failures += 1;
      const retryAfterMs = err instanceof SlackConnectionsOpenError ? (err.retryAfterMs ?? 0) : 0;
      const delayMs = Math.max(this.backoff(), retryAfterMs);
      this.logger.warn({ error, failures: this.failures, retry_in_ms: delayMs, err: describeError(err) }, 'apps.connections.open failed: will retry');
      return delayMs;
    }
  }

  /** Connects and promotes the socket (undefined), or returns the delay before the next try. */
  private async connect(url: string): Promise<number | undefined> {
    const socket = this.createSocket(url);
    this.pending = socket;
    let hello: HelloFrame;
    try {
      hello = await socket.open();
    } catch (err) {
      this.pending = undefined;
      if (this._state !== 'running') return undefined;
      // Slack may refuse a socket before hello with a disconnect frame (over the cap, Socket
      // Mode off): those reasons decide what happens next, not the generic failure path.
      const { disconnectReason } = await socket.whenClosed();
      if (disconnectReason === 'link_disabled') {
        this.onLinkDisabled(socket);
        return undefined;
      }
      if (disconnectReason === 'too_many_websockets') return this.tooManyWebsockets(socket);
      this.failures += 1;
      const delayMs = this.backoff();
      this.logger.warn({ connection_id: socket.connectionId, failures: this.failures, retry_in_ms: delayMs, err: describeError(err) }, 'socket did not open: will retry');
      return delayMs;
    }
    this.pending = undefined;
    if (this._state !== 'running') {
      await socket.close(this.options.timings.ackDrainTimeoutMs);
      return undefined;
    }
    return this.promoteOrRefuse(socket, hello);
  }

  /**
   * The socket has its hello. ws hands every frame of one TCP read over synchronously, while this
   * code runs a microtask after the hello: a `disconnect` frame Slack wrote right behind the hello
   * has reached the socket already, while it was still pending (onDisconnect ignores pending
   * sockets). The socket recorded its reason; it is acted on here, before the socket serves.
   * Undefined when the socket serves and nothing else is needed, else the delay before the next
   * socket.
   */
  private promoteOrRefuse(socket: SocketConnection, hello: HelloFrame): number | undefined {
    const reason = socket.disconnectReason;
    if (reason === 'link_disabled') {
      this.onLinkDisabled(socket);
      return undefined;
    }
    if (reason === 'too_many_websockets') {
      // Not promoted: the socket that served before (if any) goes on serving. Envelopes this one
      // read are still acked on it before it closes.
      this.closeAside(socket);
      return this.tooManyWebsockets(socket);
    }
    if (socket.state === 'closed') {
      // It ended in the same read as its hello; its close was not ours to act on (not current).
      this.failures += 1;
      const delayMs = this.backoff();
      this.logger.warn({ connection_id: socket.connectionId, failures: this.failures, retry_in_ms: delayMs }, 'socket closed right after its hello: will retry');
      return delayMs;
    }
    this.promote(socket, hello);
    if (reason === undefined) return undefined;
    // A refresh announced with the hello: this socket serves (reading and acking) until its
    // replacement has its hello, as for a refresh that comes later (make-before-break).
    if (reason === 'warning' || reason === 'refresh_requested') return 0;
    const delayMs = backoffDelayMs(1, { baseMs: this.options.timings.reconnectBaseMs, capMs: this.options.timings.reconnectCapMs });
    socket.logger.warn({ reason, retry_in_ms: delayMs }, 'unknown disconnect reason: replacing the socket after a back-off');
    return delayMs;
  }

  /** Closes a socket that does not serve the slot, after its in-flight acks. */
  private closeAside(socket: SocketConnection): void {
    this.retiring.add(socket);
    void socket.close(this.options.timings.ackDrainTimeoutMs).then(() => this.retiring.delete(socket));
  }

  private createSocket(url: string): SocketConnection {
    const { timings, ingestor } = this.options;
    const socket = new SocketConnection({
      url,
      slot: this.slot,
      logger: this.options.logger,
      metrics: this.options.metrics,
      maxFrameBytes: this.options.maxFrameBytes,
      helloTimeoutMs: timings.helloTimeoutMs,
      pingIntervalMs: timings.pingIntervalMs,
      livenessTimeoutMs: timings.livenessTimeoutMs,
      closeTimeoutMs: timings.closeTimeoutMs,
    });
    const ingest = (envelope: Envelope, receipt: EnvelopeReceipt) => {
      const work = ingestor.ingest(envelope, {
        delivery: 'socket',
        slot: this.slot,
        connectionId: socket.connectionId,
        receivedAtMs: receipt.receivedAtMs,
        receivedAtHr: receipt.receivedAtHr,
        ack: (envelopeId, payload) => this.ackOn(socket, envelopeId, payload),
      });
      socket.track(work).catch((err: unknown) => {
        // ingest() handles every expected failure itself; this is a bug. The envelope stays
        // unacked (Slack redelivers events) and the socket goes on with the next frame.
        socket.logger.error({ envelope_id: envelope.envelope_id, err: describeError(err) }, 'ingest failed unexpectedly: envelope not acked');
      });
    };
    socket.on('envelope', ingest);
    // Envelopes that arrive after our close frame went out: enqueued, then acked through another
    // replica (src/slots/ack-forwarder.ts explains the race). Without a forwarder they are
    // dropped unenqueued: a job without an ack would run a handler the user was told failed.
    socket.on('late_envelope', (envelope, receipt) => {
      if (this.options.forwardAck?.(this.slot)) return ingest(envelope, receipt);
      this.options.metrics.ackFailures.inc({ type: envelope.type });
      socket.logger.warn({ envelope_id: envelope.envelope_id, type: envelope.type }, 'envelope arrived while the socket was closing: not acked');
    });
    socket.on('disconnect', (frame) => this.onDisconnect(socket, frame));
    socket.on('hello', () => this.emit('sockets'));
    socket.on('close', (info) => {
      this.onClose(socket, info);
      this.emit('sockets');
    });
    queueMicrotask(() => this.emit('sockets'));
    return socket;
  }

  /**
   * Writes the ack of an envelope this slot's socket delivered, fenced by the lease: the gate is
   * asked right before the write, with nothing in between. A refusal means no ack anywhere (the
   * job is in Redis; Slack redelivers events).
   */
  private ackOn(socket: SocketConnection, envelopeId: string, payload?: Record<string, unknown>): Promise<void> {
    const gate = this.options.ackGate?.(this.slot) ?? true;
    if (gate === true) return this.writeAck(socket, envelopeId, payload);
    if (gate === false) return Promise.reject(this.fence(socket, envelopeId));
    return gate.then((valid) => {
      // Asked again: the wait may have outlived the lease, and it must hold at the write itself.
      if (!valid || this.options.ackGate?.(this.slot) !== true) throw this.fence(socket, envelopeId);
      return this.writeAck(socket, envelopeId, payload);
    });
  }

  /**
   * On the delivering socket while it can send; once our close frame is out (RFC 6455: no data
   * frames after Close), through another replica's socket when there is one, else it fails.
   */
  private writeAck(socket: SocketConnection, envelopeId: string, payload?: Record<string, unknown>): Promise<void> {
    if (socket.canSend) return socket.ack(envelopeId, payload);
    const forward = this.options.forwardAck?.(this.slot);
    return forward ? forward(this.slot, envelopeId, payload) : socket.ack(envelopeId, payload);
  }

  private fence(socket: SocketConnection, envelopeId: string): LeaseInvalidError {
    this.options.metrics.fencedAcks.inc();
    socket.logger.warn({ envelope_id: envelopeId }, 'slot lease not valid: envelope enqueued but not acked (Slack redelivers events)');
    this.options.onFenced?.(this.slot);
    return new LeaseInvalidError(`slot ${this.slot}: lease not valid, ack of ${envelopeId} refused`);
  }

  /**
   * Writes an ack for another replica (cross-socket) on this slot's serving socket, if it is open
   * and the lease is valid right now. False when it cannot.
   */
  async writeForeignAck(envelopeId: string, payload?: Record<string, unknown>): Promise<boolean> {
    const socket = this.current;
    if (!socket || !socket.canSend || socket.state !== 'open') return false;
    if ((this.options.ackGate?.(this.slot) ?? true) !== true) return false;
    await socket.ack(envelopeId, payload);
    return true;
  }

  /** The new socket has its hello: it serves the slot; the socket it replaces (if any) retires. */
  private promote(socket: SocketConnection, hello: HelloFrame): void {
    const previous = this.current;
    this.current = socket;
    if (previous && previous !== socket) this.retire(previous);
    if (this.readsPaused || this.options.ingestor.saturated) socket.pause();
    const held = this.options.heldSockets();
    this.options.metrics.helloNumConnections.set(hello.num_connections);
    // Slack's host (hello.debug_info.host) names the socket on Slack's side, in its disconnect frames too.
    const host = typeof hello.debug_info?.host === 'string' ? hello.debug_info.host : undefined;
    socket.logger.info({ num_connections: hello.num_connections, held_sockets: held.open, host }, 'socket connected');
    void this.checkNumConnections(socket, hello);
    this.emit('connected', socket, hello);
  }

  /**
   * Compares Slack's count with the sockets the deployment reports (every replica, open or
   * connecting: Slack may count a socket before its hello). More than reported means sockets
   * nobody holds — ghost registrations after a half-open socket (PROTOCOL.md §2), or another
   * deployment on the same app — and Slack spreads envelopes over those too.
   */
  private async checkNumConnections(socket: SocketConnection, hello: HelloFrame): Promise<void> {
    let reported: HeldSockets;
    try {
      reported = this.options.deploymentSockets ? await this.options.deploymentSockets() : this.options.heldSockets();
    } catch (err) {
      // Redis unreachable: the check waits for the next hello; nothing depends on it.
      socket.logger.info({ err: describeError(err) }, 'cannot read the deployment sockets for the num_connections check');
      return;
    }
    const total = reported.open + reported.connecting;
    this.options.metrics.deploymentSockets.set(total);
    const fields = { num_connections: hello.num_connections, deployment_sockets: total, deployment_open: reported.open, deployment_connecting: reported.connecting };
    if (hello.num_connections > total) {
      this.options.metrics.numConnectionsMismatches.inc({ direction: 'more' });
      socket.logger.warn(fields, 'hello.num_connections differs from the sockets the deployment holds: Slack counts sockets no replica reports (ghost or foreign connections)');
    } else if (hello.num_connections < reported.open) {
      // Slack already forgot a socket whose close we have not seen yet; harmless unless it lasts.
      this.options.metrics.numConnectionsMismatches.inc({ direction: 'fewer' });
      socket.logger.info(fields, 'hello.num_connections is below the sockets the deployment reports');
    }
  }

  /** Keeps reading and acking on the old socket until Slack closes it or the bound passes. */
  private retire(old: SocketConnection): void {
    if (old.state === 'closed') return;
    this.retiring.add(old);
    const timer = setTimeout(() => void old.close(this.options.timings.ackDrainTimeoutMs), this.options.timings.retireTimeoutMs);
    void old.whenClosed().then(() => {
      clearTimeout(timer);
      this.retiring.delete(old);
    });
  }

  private onDisconnect(socket: SocketConnection, frame: DisconnectFrame): void {
    // A pending socket's disconnect (before or right behind its hello) is acted on by connect(),
    // from the reason the socket recorded; retiring sockets are being replaced already.
    if (socket !== this.current || this._state !== 'running') return;
    switch (frame.reason) {
      case 'warning':
      case 'refresh_requested':
        // Make-before-break: the old socket keeps serving until the replacement has its hello.
        this.ensureSocket(0);
        return;
      case 'too_many_websockets': {
        this.current = undefined;
        this.closeAside(socket);
        this.ensureSocket(this.tooManyWebsockets(socket));
        return;
      }
      case 'link_disabled':
        this.onLinkDisabled(socket);
        return;
      default: {
        const delayMs = backoffDelayMs(1, { baseMs: this.options.timings.reconnectBaseMs, capMs: this.options.timings.reconnectCapMs });
        socket.logger.warn({ reason: frame.reason, retry_in_ms: delayMs }, 'unknown disconnect reason: replacing the socket after a back-off');
        this.ensureSocket(delayMs);
      }
    }
  }

  private onClose(socket: SocketConnection, info: SocketCloseInfo): void {
    if (socket !== this.current) return;
    this.current = undefined;
    if (this._state !== 'running') return;
    if (info.disconnectReason === 'warning' || info.disconnectReason === 'refresh_requested') {
      // Slack closed it before the replacement was up; the replacement is on its way.
      this.ensureSocket(0);
      return;
    }
    // Reasons that must never take the drop path below (a reconnect at once): normally handled
    // when the frame arrived; this covers a socket whose frame was not acted on then.
    if (info.disconnectReason === 'too_many_websockets') {
      this.ensureSocket(this.tooManyWebsockets(socket));
      return;
    }
    if (info.disconnectReason === 'link_disabled') {
      this.onLinkDisabled(socket);
      return;
    }
    // The first drop reconnects at once; drops in quick succession back off.
    if (info.openForMs !== undefined && info.openForMs >= this.options.timings.stableAfterMs) this.failures = 0;
    const delayMs = this.failures === 0 ? 0 : this.backoff();
    this.failures += 1;
    socket.logger.warn({ reason: info.reason, code: info.code, failures: this.failures, retry_in_ms: delayMs }, 'socket dropped: reconnecting');
    this.ensureSocket(delayMs);
  }

  /**
   * The app is over Slack's 10-socket cap: reconnecting at once would be refused again and again.
   * Come back after ≥ tooManyWebsocketsBackoffMs, jittered so pods do not return together.
   */
  private tooManyWebsockets(socket: SocketConnection): number {
    const delayMs = jitteredAtLeast(this.options.timings.tooManyWebsocketsBackoffMs);
    this.tooManyUntil = Math.max(this.tooManyUntil, Date.now() + delayMs);
    socket.logger.warn(
      { reason: 'too_many_websockets', retry_in_ms: delayMs },
      'Slack reports too many sockets for this app (limit 10): backing off. Check SLACK_CONNECTIONS × replicas and look for leaked connections',
    );
    return delayMs;
  }

  private onAuthFailed(err: SlackAuthFatalError): void {
    this._state = 'auth_failed';
    this.options.metrics.connectionsOpenErrors.inc({ error: err.slackError });
    this.logger.error(
      { code: err.code, slack_error: err.slackError },
      `${err.message}. This app's sockets will not reconnect until the process is restarted with a working token`,
    );
    this.emit('auth_failed', err);
  }

  private onLinkDisabled(socket: SocketConnection): void {
    this._state = 'link_disabled';
    this.cancelPendingWork();
    socket.logger.error(
      { reason: 'link_disabled' },
      'Socket Mode was turned off for this app (link_disabled): not reconnecting. Turn Socket Mode back on in the app settings (or move the app to HTTP delivery) and restart the connector',
    );
    this.closeAll();
    // A socket that never served (refused right behind its hello) is in none of the slot's sets.
    if (!this.allSockets().includes(socket)) void socket.close(this.options.timings.ackDrainTimeoutMs);
    this.emit('link_disabled');
  }

  private backoff(): number {
    return backoffDelayMs(this.failures, { baseMs: this.options.timings.reconnectBaseMs, capMs: this.options.timings.reconnectCapMs });
  }

  /** Resolves true after `ms` or once `until` settles, whichever is first; false at once if the slot is stopped meanwhile. */
  private sleep(ms: number, until?: Promise<unknown>): Promise<boolean> {
    return new Promise((resolve) => {
      let done = false;
      const end = (result: boolean) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (this.wake === stop) this.wake = undefined;
        resolve(result);
      };
      const timer = setTimeout(() => end(true), Math.min(ms, MAX_TIMER_MS));
      const stop = () => end(false);
      this.wake = stop;
      void until?.then(
        () => end(true),
        () => end(true),
      );
    });
  }
}
