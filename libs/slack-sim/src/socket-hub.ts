// The simulator's side of Socket Mode connections: hello, the connection cap, round-robin choice
// of a socket, disconnect frames with their grace periods, abrupt drops and server pings.
// Each socket moves open → draining → closed; only `open` sockets that got hello take envelopes.
import { WebSocket, type RawData } from 'ws';
import type { Logger } from 'pino';
import { describeError } from '@socketworks/runtime';
import { nowMs } from './ids';
import type { SocketInfo } from './types';

export interface SocketHubOptions {
  appId: string;
  maxSockets: number;
  helloDelayMs: number;
  refreshGraceMs: number;
  warningGraceMs: number;
  serverPingIntervalMs: number;
  logger: Logger;
}

export interface SocketHubListener {
  /** The socket got hello and can take envelopes. */
  onReady(socket: SimSocket): void;
  onMessage(socket: SimSocket, data: RawData, isBinary: boolean): void;
  onOpen(info: SocketInfo): void;
  onClose(info: SocketInfo): void;
}

/** Pings a socket may leave unanswered before the simulator gives up on it. */
const MAX_MISSED_PINGS = 3;

export class SimSocket {
  readonly info: SocketInfo;
  graceTimer: NodeJS.Timeout | undefined;
  missedPings = 0;

  constructor(
    readonly ws: WebSocket,
    readonly id: string,
    /** `debug_info.host` in hello and disconnect frames. */
    readonly host: string,
  ) {
    this.info = { id, openedAt: nowMs(), helloAt: null, closedAt: null, state: 'open', envelopesSent: 0 };
  }

  get writable(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }
}

export class SocketHub {
  private readonly history: SimSocket[] = [];
  /** Not yet closed, oldest first. */
  private readonly live: SimSocket[] = [];
  /** Open, hello sent, not draining: where new envelopes go. */
  private ready: SimSocket[] = [];
  private cursor = -1;
  private seq = 0;
  private readonly pingTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly options: SocketHubOptions,
    private readonly listener: SocketHubListener,
  ) {
    if (options.serverPingIntervalMs > 0) {
      this.pingTimer = setInterval(() => this.pingAll(), options.serverPingIntervalMs);
      this.pingTimer.unref();
    }
  }

  /** Takes a freshly upgraded WebSocket: hello, or a disconnect frame when it may not stay. */
  accept(ws: WebSocket, linkDisabled: boolean): void {
    this.seq += 1;
    const socket = new SimSocket(ws, `conn-${this.seq}`, `applink-sim-${this.seq}`);
    const log = this.options.logger;
    this.history.push(socket);
    this.live.push(socket);
    ws.on('error', (err) => log.warn({ connection_id: socket.id, err: describeError(err) }, 'socket error'));
    ws.on('close', (code: number) => this.closed(socket, code));
    ws.on('message', (data, isBinary) => this.listener.onMessage(socket, data, isBinary));
    ws.on('pong', () => {
      socket.missedPings = 0;
    });

    if (linkDisabled) {
      this.listener.onOpen({ ...socket.info });
      this.sendDisconnect(socket, 'link_disabled');
      this.closeNow(socket, 'link_disabled');
      return;
    }
    if (this.live.length > this.options.maxSockets) {
      log.warn({ connection_id: socket.id, open_sockets: this.live.length }, 'too many websockets: refusing the new one');
      this.listener.onOpen({ ...socket.info });
      this.sendDisconnect(socket, 'too_many_websockets');
      this.closeNow(socket, 'too_many_websockets');
      return;
    }
    if (this.options.helloDelayMs > 0) {
      // It counts against the cap from now (it is in `live`), as a socket Slack accepted does.
      this.listener.onOpen({ ...socket.info });
      setTimeout(() => {
        if (socket.info.state !== 'open' || !socket.writable) return;
        this.sendHello(socket);
        this.listener.onReady(socket);
      }, this.options.helloDelayMs).unref();
      return;
    }
    this.sendHello(socket);
    this.listener.onOpen({ ...socket.info });
    this.listener.onReady(socket);
  }

  private sendHello(socket: SimSocket): void {
    socket.ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: this.live.length,
        debug_info: { host: socket.host, build_number: 10, approximate_connection_time: 18060 },
        connection_info: { app_id: this.options.appId },
      }),
    );
    socket.info.helloAt = nowMs();
    this.ready.push(socket);
    this.options.logger.debug({ connection_id: socket.id, num_connections: this.live.length }, 'socket open');
  }

  /** Next socket round-robin among those taking envelopes; undefined when there is none. */
  pick(): SimSocket | undefined {
    const n = this.ready.length;
    for (let tries = 0; tries < n; tries++) {
      this.cursor = (this.cursor + 1) % n;
      const socket = this.ready[this.cursor]!;
      // A client's close frame makes the socket unwritable before its 'close' event fires.
      if (socket.writable) return socket;
    }
    return undefined;
  }

  /**
   * Sends `disconnect <reason>`. refresh_requested, warning and unknown reasons drain the socket
   * (no new envelopes, acks still read) and close it after the grace period; too_many_websockets
   * and link_disabled close it at once.
   */
  refresh(reason: string, socketId?: string): string[] {
    const targets = this.select(socketId, (s) => s.info.state === 'open' && s.info.helloAt !== null);
    for (const socket of targets) {
      this.sendDisconnect(socket, reason);
      switch (reason) {
        case 'too_many_websockets':
        case 'link_disabled':
          this.closeNow(socket, reason);
          break;
        case 'warning':
          this.drain(socket, reason, this.options.warningGraceMs);
          break;
        default:
          this.drain(socket, reason, this.options.refreshGraceMs);
      }
    }
    return targets.map((s) => s.id);
  }

  /** `link_disabled` to every live socket, each closed at once. */
  disconnectAll(reason: string): string[] {
    const targets = [...this.live];
    for (const socket of targets) {
      if (socket.writable) this.sendDisconnect(socket, reason);
      this.closeNow(socket, reason);
    }
    return targets.map((s) => s.id);
  }

  /** Abrupt end: no close frame, as a network failure. */
  drop(socketId?: string): string[] {
    const targets = this.select(socketId, () => true);
    for (const socket of targets) {
      socket.info.closeReason = 'dropped';
      this.unready(socket);
      socket.ws.terminate();
    }
    return targets.map((s) => s.id);
  }

  /** Writes to the given socket, or to the oldest writable one (open ones first). */
  sendRaw(text: string, socketId?: string): string | undefined {
    const socket =
      socketId === undefined || socketId === '*'
        ? (this.live.find((s) => s.writable && s.info.state === 'open') ?? this.live.find((s) => s.writable))
        : this.live.find((s) => s.id === socketId && s.writable);
    if (!socket) return undefined;
    socket.ws.send(text);
    return socket.id;
  }

  list(): SocketInfo[] {
    return this.history.map((s) => ({ ...s.info }));
  }

  openCount(): number {
    return this.live.length;
  }

  /** Closes every socket (1001), terminating those that do not finish the handshake in time. */
  async closeAll(timeoutMs: number): Promise<void> {
    if (this.pingTimer) clearInterval(this.pingTimer);
    const sockets = [...this.live];
    const closed = sockets.map((s) => new Promise<void>((resolve) => (s.info.state === 'closed' ? resolve() : s.ws.once('close', () => resolve()))));
    for (const socket of sockets) {
      clearTimeout(socket.graceTimer);
      socket.info.closeReason ??= 'sim_closed';
      this.unready(socket);
      if (socket.ws.readyState === WebSocket.OPEN) socket.ws.close(1001, 'server shutting down');
      else if (socket.ws.readyState === WebSocket.CONNECTING) socket.ws.terminate();
    }
    const timer = setTimeout(() => {
      for (const socket of sockets) socket.ws.terminate();
    }, timeoutMs);
    await Promise.all(closed);
    clearTimeout(timer);
  }

  private select(socketId: string | undefined, byDefault: (s: SimSocket) => boolean): SimSocket[] {
    if (socketId === '*') return this.live.filter(byDefault);
    if (socketId !== undefined) return this.live.filter((s) => s.id === socketId);
    const oldest = this.live.find(byDefault);
    return oldest ? [oldest] : [];
  }

  private sendDisconnect(socket: SimSocket, reason: string): void {
    socket.ws.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: socket.host } }));
    this.options.logger.debug({ connection_id: socket.id, reason }, 'disconnect sent');
  }

  private drain(socket: SimSocket, reason: string, graceMs: number): void {
    socket.info.state = 'draining';
    socket.info.closeReason = reason;
    this.unready(socket);
    clearTimeout(socket.graceTimer);
    socket.graceTimer = setTimeout(() => {
      socket.graceTimer = undefined;
      if (socket.writable) socket.ws.close(1000);
    }, graceMs);
  }

  private closeNow(socket: SimSocket, reason: string): void {
    socket.info.state = 'draining';
    socket.info.closeReason ??= reason;
    this.unready(socket);
    clearTimeout(socket.graceTimer);
    // close() sends its frame after the data already queued, so the disconnect frame arrives first.
    if (socket.writable) socket.ws.close(1000);
  }

  private unready(socket: SimSocket): void {
    if (this.ready.includes(socket)) this.ready = this.ready.filter((s) => s !== socket);
  }

  private closed(socket: SimSocket, code: number): void {
    if (socket.info.state === 'closed') return;
    clearTimeout(socket.graceTimer);
    socket.info.state = 'closed';
    socket.info.closedAt = nowMs();
    socket.info.closeCode = code;
    socket.info.closeReason ??= 'client_closed';
    this.unready(socket);
    const i = this.live.indexOf(socket);
    if (i >= 0) this.live.splice(i, 1);
    this.options.logger.debug({ connection_id: socket.id, code, reason: socket.info.closeReason }, 'socket closed');
    this.listener.onClose({ ...socket.info });
  }

  private pingAll(): void {
    for (const socket of [...this.live]) {
      if (!socket.writable) continue;
      if (socket.missedPings >= MAX_MISSED_PINGS) {
        this.options.logger.warn({ connection_id: socket.id }, 'no pong: terminating socket');
        socket.info.closeReason = 'ping_timeout';
        this.unready(socket);
        socket.ws.terminate();
        continue;
      }
      socket.missedPings += 1;
      socket.ws.ping(`Ping from ${socket.host}`);
    }
  }
}
