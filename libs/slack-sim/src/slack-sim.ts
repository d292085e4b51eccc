// Slack on localhost. One HTTP port serves the Web API (/api/), the Socket Mode WebSocket (/link/),
// response_urls (/hooks/) and the control API (/_sim/). This class wires the parts and is the
// driver's handle; each part lives in its own file.
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import pino, { type Logger } from 'pino';
import { WebSocketServer } from 'ws';
import { describeError } from '@socketworks/runtime';
import { ControlApi } from './control-api';
import { Dispatcher, trimOldest } from './dispatcher';
import { SlackSimError } from './errors';
import { handleResponseUrl, type ResponseHooksOptions } from './hooks';
import { sendJson } from './http-io';
import { ResponseUrlRegistry, TicketRegistry, TriggerRegistry } from './interactions';
import { DEFAULTS } from './payloads';
import { SocketHub } from './socket-hub';
import { StreamRunner } from './stream';
import { WebApi } from './web-api';
import { WebMethods } from './web-methods';
import type {
  AckRecord,
  ApiCall,
  ApiLatencyRule,
  Delivery,
  InjectInput,
  InjectResult,
  RateLimitRule,
  ResponseUrlCall,
  SimStats,
  SlackSimEvents,
  SlackSimOptions,
  SocketInfo,
  StreamInput,
  StreamResult,
} from './types';

type Resolved = Required<Omit<SlackSimOptions, 'appTokens' | 'botTokens' | 'publicBaseUrl'>> &
  Pick<SlackSimOptions, 'appTokens' | 'botTokens' | 'publicBaseUrl'>;

/** Client frames (acks) larger than this close the socket with 1009, as ws does. */
const MAX_CLIENT_FRAME_BYTES = 1024 * 1024;
/** How long close() lets clients finish the close handshake before terminating. */
const CLOSE_TIMEOUT_MS = 2000;

function resolveOptions(o: SlackSimOptions): Resolved {
  const resolved: Resolved = {
    port: o.port ?? 0,
    host: o.host ?? '127.0.0.1',
    appId: o.appId ?? DEFAULTS.appId,
    teamId: o.teamId ?? DEFAULTS.teamId,
    redeliveryTimeoutMs: o.redeliveryTimeoutMs ?? 3000,
    maxRedeliveries: o.maxRedeliveries ?? 3,
    maxSockets: o.maxSockets ?? 10,
    helloDelayMs: o.helloDelayMs ?? 0,
    refreshGraceMs: o.refreshGraceMs ?? 3000,
    warningGraceMs: o.warningGraceMs ?? 10000,
    serverPingIntervalMs: o.serverPingIntervalMs ?? 5000,
    triggerTtlMs: o.triggerTtlMs ?? 3000,
    responseUrlMaxUses: o.responseUrlMaxUses ?? 5,
    responseUrlTtlMs: o.responseUrlTtlMs ?? 30 * 60 * 1000,
    maxRecords: o.maxRecords ?? Infinity,
    logger: o.logger ?? pino({ level: 'silent' }),
    appTokens: o.appTokens,
    botTokens: o.botTokens,
    publicBaseUrl: o.publicBaseUrl?.replace(/\/+$/, ''),
  };
  const minimum: Array<[keyof Resolved, number]> = [
    ['port', 0],
    ['redeliveryTimeoutMs', 1],
    ['maxRedeliveries', 0],
    ['maxSockets', 1],
    ['helloDelayMs', 0],
    ['refreshGraceMs', 0],
    ['warningGraceMs', 0],
    ['serverPingIntervalMs', 0],
    ['triggerTtlMs', 0],
    ['responseUrlMaxUses', 0],
    ['responseUrlTtlMs', 0],
  ];
  if (resolved.maxRecords !== Infinity) minimum.push(['maxRecords', 1]);
  for (const [name, min] of minimum) {
    const value = resolved[name] as number;
    if (!Number.isInteger(value) || value < min) {
      throw new SlackSimError('ERR_SIM_INVALID_OPTION', `option ${name} must be a whole number ≥ ${min}`);
    }
  }
  return resolved;
}

export class SlackSim extends EventEmitter<SlackSimEvents> {
  readonly port: number;
  /** `http://127.0.0.1:<port>/api/`: SLACK_API_URL for clients. */
  readonly apiUrl: string;
  /** `http://127.0.0.1:<port>` */
  readonly baseUrl: string;
  readonly appId: string;
  readonly teamId: string;

  private readonly log: Logger;
  private readonly wss: WebSocketServer;
  private readonly hub: SocketHub;
  private readonly dispatcher: Dispatcher;
  private readonly tickets = new TicketRegistry();
  private readonly webApi: WebApi;
  private readonly control: ControlApi;
  private readonly streams: StreamRunner;
  private readonly hooks: ResponseHooksOptions;
  private apiCallRecords: ApiCall[] = [];
  private responseUrlCallRecords: ResponseUrlCall[] = [];
  private apiCallCount = 0;
  private responseUrlCallCount = 0;
  private badRequests = 0;
  private linkDisabled = false;
  private closing: Promise<void> | undefined;

  /** Starts listening on 127.0.0.1 (port 0 by default) and resolves once it does. */
  static async start(options: SlackSimOptions = {}): Promise<SlackSim> {
    const resolved = resolveOptions(options);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new SlackSimError('ERR_SIM_LISTEN_FAILED', `cannot listen on ${resolved.host}:${resolved.port}`, { cause: err })));
      server.listen(resolved.port, resolved.host, () => resolve());
    });
    return new SlackSim(resolved, server);
  }

  private constructor(
    options: Resolved,
    private readonly server: Server,
  ) {
    super();
    this.port = (server.address() as AddressInfo).port;
    this.baseUrl = options.publicBaseUrl ?? `http://127.0.0.1:${this.port}`;
    this.apiUrl = `${this.baseUrl}/api/`;
    this.appId = options.appId;
    this.teamId = options.teamId;
    this.log = options.logger.child({ component: 'slack-sim' });

    const triggers = new TriggerRegistry(options.triggerTtlMs);
    const responseUrls = new ResponseUrlRegistry(this.baseUrl, options.teamId, options.responseUrlMaxUses, options.responseUrlTtlMs);
    this.hub = new SocketHub(
      { ...options, logger: this.log },
      {
        onReady: () => this.dispatcher.flush(),
        onMessage: (socket, data, isBinary) => this.dispatcher.onClientFrame(socket, data, isBinary),
        onOpen: (info) => this.emit('socket_open', info),
        onClose: (info) => this.emit('socket_close', info),
      },
    );
    this.dispatcher = new Dispatcher(
      { redeliveryTimeoutMs: options.redeliveryTimeoutMs, maxRedeliveries: options.maxRedeliveries, maxRecords: options.maxRecords, logger: this.log },
      {
        pick: () => this.hub.pick(),
        triggers,
        responseUrls,
        onDelivery: (delivery) => this.emit('delivery', delivery),
        onAck: (ack) => this.emit('ack', ack),
      },
    );
    const wsHost = this.baseUrl.replace(/^http/, 'ws');
    this.webApi = new WebApi({
      appTokens: options.appTokens,
      botTokens: options.botTokens,
      methods: new WebMethods({ appId: options.appId, teamId: options.teamId, botUserId: DEFAULTS.botUserId, botId: DEFAULTS.botId }, triggers),
      connectionUrl: () => `${wsHost}/link/?ticket=${this.tickets.issue()}&app_id=${options.appId}`,
      record: (call) => {
        this.apiCallCount += 1;
        this.apiCallRecords.push(call);
        this.apiCallRecords = trimOldest(this.apiCallRecords, options.maxRecords);
        this.emit('api_call', call);
      },
      badRequest: () => this.countBadRequest(),
    });
    this.hooks = {
      registry: responseUrls,
      baseUrl: this.baseUrl,
      record: (call) => {
        this.responseUrlCallCount += 1;
        this.responseUrlCallRecords.push(call);
        this.responseUrlCallRecords = trimOldest(this.responseUrlCallRecords, options.maxRecords);
        this.emit('response_url_call', call);
      },
      badRequest: () => this.countBadRequest(),
    };
    this.control = new ControlApi(this, () => this.countBadRequest());
    this.streams = new StreamRunner((input) => this.dispatcher.inject(input));

    this.wss = new WebSocketServer({ noServer: true, clientTracking: false, perMessageDeflate: false, maxPayload: MAX_CLIENT_FRAME_BYTES });
    this.wss.on('error', (err) => this.log.warn({ err: describeError(err) }, 'websocket server error'));
    server.on('error', (err) => this.log.error({ err: describeError(err) }, 'http server error'));
    server.on('request', (req, res) => this.onRequest(req, res));
    server.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    this.log.debug({ port: this.port }, 'slack-sim started');
  }

  // --- drive it ---

  /** Delivers one envelope now, or queues it until a socket is open. */
  inject(input: InjectInput): InjectResult {
    return this.dispatcher.inject(input);
  }

  /** Injects `count` envelopes at `ratePerSecond`; resolves when all were handed out (or time ran out). */
  injectStream(input: StreamInput): Promise<StreamResult> {
    if (this.closing) return Promise.reject(new SlackSimError('ERR_SIM_CLOSED', 'the simulator is closed'));
    return this.streams.run(input);
  }

  /** Sends `disconnect` to one socket (default: the oldest open one) or to all with socketId '*'. */
  refresh(opts: { reason?: string; socketId?: string } = {}): string[] {
    return this.hub.refresh(opts.reason ?? 'refresh_requested', opts.socketId);
  }

  /** Ends one socket (default: the oldest) or all ('*') abruptly: no close frame. */
  drop(opts: { socketId?: string } = {}): string[] {
    return this.hub.drop(opts.socketId);
  }

  /** Writes any text frame, for malformed-frame tests. Throws ERR_SIM_NO_SOCKET when none is open. */
  sendRaw(text: string, opts: { socketId?: string } = {}): string {
    const id = this.hub.sendRaw(text, opts.socketId);
    if (id === undefined) throw new SlackSimError('ERR_SIM_NO_SOCKET', opts.socketId ? `no open socket ${opts.socketId}` : 'no open socket');
    return id;
  }

  /**
   * `count` Retry-After windows of `method` (or '*': any method): a 429 opens one, calls inside it
   * get 429 too (recorded `early`), see RateLimitRule. Replaces the rule and its open windows;
   * null clears them.
   */
  setRateLimit(rule: RateLimitRule | null): void {
    this.webApi.setRateLimit(rule);
  }

  /** Answers of `method` ('*': all) are sent `ms` late, after the call took effect; null clears it. */
  setApiLatency(rule: ApiLatencyRule | null): void {
    this.webApi.setApiLatency(rule);
  }

  /**
   * true: every socket gets `disconnect link_disabled` and is closed; while disabled,
   * apps.connections.open still answers, but each new socket gets the same and is closed.
   * Injected envelopes wait meanwhile.
   */
  setLinkDisabled(disabled: boolean): void {
    this.linkDisabled = disabled;
    if (disabled) this.hub.disconnectAll('link_disabled');
  }

  /** Makes apps.connections.open fail `count` times (default: until cleared with null). */
  setConnectionsOpenError(error: string | null, opts: { count?: number; httpStatus?: number } = {}): void {
    this.webApi.setConnectionsOpenError(error, opts);
  }

  /** Forgets recorded deliveries, acks and calls, and envelopes waiting or due for redelivery. Sockets stay. */
  reset(): void {
    this.dispatcher.reset();
    this.apiCallRecords = [];
    this.responseUrlCallRecords = [];
    this.apiCallCount = 0;
    this.responseUrlCallCount = 0;
    this.badRequests = 0;
  }

  /** Closes every socket and the server. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  // --- read it ---

  deliveries(): Delivery[] {
    return this.dispatcher.deliveries();
  }

  acks(): AckRecord[] {
    return this.dispatcher.acks();
  }

  apiCalls(method?: string): ApiCall[] {
    const calls = method === undefined ? this.apiCallRecords : this.apiCallRecords.filter((c) => c.method === method);
    return calls.map((c) => ({ ...c }));
  }

  responseUrlCalls(): ResponseUrlCall[] {
    return this.responseUrlCallRecords.map((c) => ({ ...c }));
  }

  sockets(): SocketInfo[] {
    return this.hub.list();
  }

  stats(): SimStats {
    return {
      ...this.dispatcher.stats(),
      openSockets: this.hub.openCount(),
      apiCalls: this.apiCallCount,
      responseUrlCalls: this.responseUrlCallCount,
      badRequests: this.badRequests,
    };
  }

  // --- plumbing ---

  private countBadRequest(): void {
    this.badRequests += 1;
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://sim');
    } catch {
      this.countBadRequest();
      req.resume();
      return sendJson(res, 400, { ok: false, error: 'invalid_url' });
    }
    const path = url.pathname;
    let handled: Promise<void> | undefined;
    if (path.startsWith('/api/')) handled = this.webApi.handle(req, res, path.slice('/api/'.length), url.searchParams);
    else if (path.startsWith('/hooks/')) handled = handleResponseUrl(req, res, path, this.hooks);
    else if (path.startsWith('/_sim/')) handled = this.control.handle(req, res, path, url.searchParams);
    else {
      req.resume();
      return sendJson(res, 404, { ok: false, error: 'not_found' });
    }
    handled.catch((err: unknown) => {
      // A bug in a handler must not take the simulator down; the caller gets a 500.
      this.log.error({ err: describeError(err), path }, 'request handler failed');
      if (!res.headersSent) sendJson(res, 500, { ok: false, error: 'internal_error' });
      else res.destroy();
    });
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', (err) => this.log.debug({ err: describeError(err) }, 'upgrade socket error'));
    const refuse = (status: number, text: string) => {
      // As ws's own abortHandshake: answer, then destroy once written (no WebSocket, no socket info).
      socket.once('finish', () => socket.destroy());
      socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (this.closing) return refuse(503, 'Service Unavailable');
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://sim');
    } catch {
      return refuse(400, 'Bad Request');
    }
    if (url.pathname !== '/link/' && url.pathname !== '/link') return refuse(404, 'Not Found');
    const ticket = url.searchParams.get('ticket');
    if (!ticket || !this.tickets.consume(ticket)) {
      this.log.debug('websocket upgrade with an unknown or used ticket refused');
      return refuse(401, 'Unauthorized');
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.hub.accept(ws, this.linkDisabled));
  }

  private async shutdown(): Promise<void> {
    // Order: no new streams or envelopes, then sockets (close frames), then HTTP.
    this.streams.stopAll();
    this.dispatcher.close();
    await this.hub.closeAll(CLOSE_TIMEOUT_MS);
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    this.wss.close();
    this.log.debug('slack-sim closed');
  }
}
