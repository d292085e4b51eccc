// /metrics, /healthz and /readyz for every service, on a port of its own.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { describeError } from './errors';

export interface ReadyCheck {
  ready: boolean;
  /** Per-part details shown in the /readyz body. */
  details?: Record<string, unknown>;
}

export interface OpsServerOptions {
  port: number;
  /** @defaultValue '0.0.0.0' */
  host?: string;
  registry: Registry;
  readiness: () => Promise<ReadyCheck> | ReadyCheck;
  logger: Logger;
}

export interface OpsServer {
  port: number;
  server: Server;
  close(): Promise<void>;
}

export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (status: number, body: string, type = 'application/json') => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET') return reply(405, JSON.stringify({ error: 'method not allowed' }));
    switch (path) {
      case '/healthz':
        return reply(200, JSON.stringify({ status: 'ok' }));
      case '/readyz':
        Promise.resolve()
          .then(() => options.readiness())
          .then(
            (check) => reply(check.ready ? 200 : 503, JSON.stringify({ ready: check.ready, ...check.details })),
            (err: unknown) => reply(503, JSON.stringify({ ready: false, error: describeError(err).message })),
          );
        return;
      case '/metrics':
        options.registry.metrics().then(
          (text) => reply(200, text, options.registry.contentType),
          (err: unknown) => {
            options.logger.error({ err: describeError(err) }, 'metrics collection failed');
            reply(500, JSON.stringify({ error: 'metrics collection failed' }));
          },
        );
        return;
      default:
        return reply(404, JSON.stringify({ error: 'not found' }));
    }
  });
  server.on('error', (err) => options.logger.error({ err: describeError(err) }, 'ops server error'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
