// HTTP delivery: Slack POSTs signed requests to one path, /slack/events, for every kind (as Bolt's
// HTTPReceiver). Each request is checked (size, signature, replay window), turned into the same
// Envelope a socket carries, and given to the same ingestor: the job is written first, and the
// HTTP response *is* the ack — 200 with the ack payload (the sync lane's answer) or empty.
//
//   413 body over HTTP_MAX_BODY_BYTES      401 signature missing/bad, timestamp outside ±5 min
//   400 body Slack would not send          404 other paths, 405 other methods
//   503 the job could not be written (Slack retries events; a user sees an error otherwise)
// Every refusal is logged (reason, never the body or the signature) and counted; nothing is enqueued.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { describeError, SocketworksError } from '@socketworks/runtime';
import type { EnvelopeIngestor } from '../ingest/envelope-ingestor';
import type { ConnectorMetrics } from '../metrics';
import { HttpBodyError, isSslCheck, parseHttpDelivery } from './http-delivery';
import { verifySlackSignature, type SignatureRejection } from './signature';

export const SLACK_EVENTS_PATH = '/slack/events';

export type HttpRejection = SignatureRejection | 'body_too_large' | 'bad_body' | 'not_found' | 'method_not_allowed';

export interface HttpReceiverOptions {
  port: number;
  host: string;
  signingSecret: string;
  maxBodyBytes: number;
  ingestor: EnvelopeIngestor;
  logger: Logger;
  metrics: ConnectorMetrics;
  /** Epoch ms, for the replay window. Tests inject it to accept signed fixtures. @defaultValue Date.now */
  now?: () => number;
}

/** The response could not be written (the client went away): the ack is lost, the job is in Redis. */
export class HttpAckError extends SocketworksError {
  constructor(message: string) {
    super('ERR_HTTP_ACK_NOT_WRITTEN', message);
  }
}

class BodyTooLargeError extends SocketworksError {
  constructor(limit: number) {
    super('ERR_HTTP_BODY_TOO_LARGE', `request body over ${limit} bytes`);
  }
}

export class HttpReceiver {
  private readonly server: Server;
  private readonly logger: Logger;
  private listeningPort: number | undefined;

  constructor(private readonly options: HttpReceiverOptions) {
    this.logger = options.logger.child({ component: 'http' });
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        // A bug, not a request problem: the request gets a 500 and the server goes on.
        this.logger.error({ err: describeError(err) }, 'HTTP request handling failed');
        if (!res.headersSent) this.respond(res, 500, '');
        else res.destroy();
      });
    });
    // Slack gives up after 3 s; nothing legitimate takes longer to send its headers or body.
    this.server.headersTimeout = 10000;
    this.server.requestTimeout = 15000;
    this.server.on('error', (err) => this.logger.error({ err: describeError(err) }, 'http server error'));
    this.server.on('clientError', (err, socket) => {
      this.logger.info({ err: describeError(err) }, 'malformed HTTP request');
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      else socket.destroy();
    });
  }

  get port(): number | undefined {
    return this.listeningPort;
  }

  get listening(): boolean {
    return this.server.listening;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.listeningPort = (this.server.address() as AddressInfo).port;
  }

  /** Stops accepting; requests in flight finish (their ack is written), idle connections close. */
  async close(): Promise<void> {
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== SLACK_EVENTS_PATH) return this.reject(req, res, 404, 'not_found');
    if (req.method !== 'POST') return this.reject(req, res, 405, 'method_not_allowed', { allow: 'POST' });
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > this.options.maxBodyBytes) return this.reject(req, res, 413, 'body_too_large');
    const receivedAtMs = Date.now();
    const receivedAtHr = process.hrtime.bigint();
    let rawBody: Buffer;
    try {
      rawBody = await this.readBody(req);
    } catch (err) {
      if (err instanceof BodyTooLargeError) return this.reject(req, res, 413, 'body_too_large');
      // The client went away mid-body: there is nobody to answer.
      this.logger.info({ err: describeError(err) }, 'request body not received');
      return;
    }
    const contentType = req.headers['content-type'] ?? '';
    if (isSslCheck(rawBody, contentType)) return this.respond(res, 200, '');
    const check = verifySlackSignature({
      signingSecret: this.options.signingSecret,
      signature: headerOf(req, 'x-slack-signature'),
      timestamp: headerOf(req, 'x-slack-request-timestamp'),
      rawBody,
      nowMs: (this.options.now ?? Date.now)(),
    });
    if (!check.ok) return this.reject(req, res, 401, check.reason);
    let delivery;
    try {
      delivery = parseHttpDelivery(rawBody, req.headers, randomUUID());
    } catch (err) {
      if (err instanceof HttpBodyError) return this.reject(req, res, 400, 'bad_body', { problem: err.message });
      throw err;
    }
    switch (delivery.kind) {
      case 'ssl_check':
        return this.respond(res, 200, '');
      case 'url_verification':
        return this.respond(res, 200, JSON.stringify({ challenge: delivery.challenge }), 'application/json');
      case 'envelope': {
        const outcome = await this.options.ingestor.ingest(delivery.envelope, {
          delivery: 'http',
          receivedAtMs,
          receivedAtHr,
          ack: (_envelopeId, payload) => this.ack(res, payload),
        });
        // Not acked: the job is not in Redis. A non-2xx makes Slack retry an event (HTTP: up to 3
        // times); for an interaction or a command the user sees Slack's error, which is honest.
        if (outcome === 'enqueue_failed' && !res.headersSent) this.respond(res, 503, '');
      }
    }
  }

  /** The ack: 200, with the ack payload as JSON when there is one (PROTOCOL.md §4.3), else empty. */
  private ack(res: ServerResponse, payload?: Record<string, unknown>): Promise<void> {
    return new Promise((resolve, reject) => {
      if (res.headersSent || res.destroyed) {
        reject(new HttpAckError('the HTTP response was already sent or the client went away'));
        return;
      }
      res.once('close', () => {
        if (!res.writableFinished) reject(new HttpAckError('the client went away before the ack was written'));
      });
      this.respond(res, 200, payload === undefined ? '' : JSON.stringify(payload), payload === undefined ? undefined : 'application/json', () => resolve());
    });
  }

  private respond(res: ServerResponse, status: number, body: string, contentType?: string, done?: () => void): void {
    const headers: Record<string, string | number> = { 'content-length': Buffer.byteLength(body) };
    if (contentType) headers['content-type'] = contentType;
    res.writeHead(status, headers);
    res.end(body, done);
    this.options.metrics.httpResponses.inc({ status: String(status) });
  }

  private reject(req: IncomingMessage, res: ServerResponse, status: number, reason: HttpRejection, extra: Record<string, string> = {}): void {
    this.options.metrics.httpRejected.inc({ reason });
    // Never the body, the signature or the secret: the reason and where the request came from.
    this.logger.warn(
      { reason, status, method: req.method, path: (req.url ?? '/').split('?')[0]!.slice(0, 128), content_length: req.headers['content-length'], remote_address: req.socket.remoteAddress, ...(extra.problem ? { problem: extra.problem } : {}) },
      'HTTP request refused: nothing enqueued',
    );
    const headers: Record<string, string | number> = { 'content-length': 0 };
    if (extra.allow) headers.allow = extra.allow;
    // An unread (oversized) body: close the connection rather than read it to reuse the socket.
    if (status === 413) headers.connection = 'close';
    res.writeHead(status, headers);
    res.end();
    this.options.metrics.httpResponses.inc({ status: String(status) });
    if (!req.complete) req.resume();
  }

  private readBody(req: IncomingMessage): Promise<Buffer> {
    const limit = this.options.maxBodyBytes;
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const onData = (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit) {
          req.off('data', onData);
          reject(new BodyTooLargeError(limit));
          return;
        }
        chunks.push(chunk);
      };
      req.on('data', onData);
      req.once('end', () => resolve(Buffer.concat(chunks, size)));
      req.once('error', reject);
      req.once('aborted', () => reject(new SocketworksError('ERR_HTTP_ABORTED', 'request aborted')));
    });
  }
}

function headerOf(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
