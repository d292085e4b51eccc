// The dashboard as one start/stop unit, so tests run exactly what main.ts runs: one Redis
// connection shared by the four queues, bull-board and the JSON API and pages behind
// authentication, and /healthz, /readyz, /metrics beside them on the same port.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express } from 'express';
import type { Queue } from 'bullmq';
import type { RedisClient } from '@socketworks/runtime';
import type { Logger } from 'pino';
import type { QueueName } from '@socketworks/protocol';
import { checkRedis, createMetricsRegistry, createQueues, createRedisConnection, describeError, quitRedis, RepeatedErrors, type Registry } from '@socketworks/runtime';
import { isLoopbackHost, type DashboardConfig } from './config';
import { DashboardError } from './errors';
import { createApiRouter } from './http/api-routes';
import { authenticate } from './http/auth';
import { LoginThrottle, type LoginThrottleOptions } from './http/login-throttle';
import { BOARD_BASE_PATH, createBoardRouter } from './http/board';
import { createPageRouter } from './http/page-routes';
import { renderErrorPage } from './http/pages';
import { errorHandler, loopbackHostOnly, readOnlyGuard, sameOriginForChanges, securityHeaders } from './http/security';
import { JobFinder } from './jobs/job-finder';
import { FailedJobs } from './jobs/failed-jobs';
import { createDashboardMetrics, type DashboardMetrics } from './metrics/dashboard-metrics';
import { QueueStats } from './metrics/queue-stats';

export interface DashboardDeps {
  logger: Logger;
  /** @defaultValue a new registry with the process metrics */
  registry?: Registry;
  /** Throttling of failed logins (tests shorten the back-off). @defaultValue 10 failures, then 1 s doubling to 5 min */
  loginThrottle?: LoginThrottleOptions;
}

export interface RunningDashboard {
  /** The port actually bound (DASHBOARD_PORT=0 picks one). */
  port: number;
  /** Where to open it from this host. */
  url: string;
  server: Server;
  app: Express;
  queues: Readonly<Record<QueueName, Queue>>;
  stats: QueueStats;
  metrics: DashboardMetrics;
  registry: Registry;
  /** Stops serving, closes the queues, then Redis. Idempotent. */
  stop(): Promise<void>;
}

/** How long /readyz waits for Redis to answer PING. */
const READY_TIMEOUT_MS = 1000;
/** Longest any one Redis command may take (ioredis `commandTimeout`). */
const COMMAND_TIMEOUT_MS = 5000;

export async function startDashboard(config: DashboardConfig, deps: DashboardDeps): Promise<RunningDashboard> {
  const { logger } = deps;
  const registry = deps.registry ?? createMetricsRegistry('dashboard');
  // A command that Redis does not answer in time fails, so no page or API call hangs on it.
  const redis = createRedisConnection(config.redisUrl, {
    cluster: config.redisCluster,
    role: 'command',
    name: 'socketworks-dashboard',
    logger,
    overrides: { commandTimeout: COMMAND_TIMEOUT_MS },
  });
  const queues = createQueues(redis, { prefix: config.queuePrefix });
  logQueueErrors(queues, redis, logger);
  await checkRedisAtStart(redis, logger);

  const stats = new QueueStats({ queues, redis, cacheMs: config.metricsCacheMs });
  const metrics = createDashboardMetrics(registry, stats, logger);
  const finder = new JobFinder({ queues, scanLimit: config.searchScanLimit });
  const failedJobs = new FailedJobs({ queues, redis, logger, retryAllMax: config.retryAllMax });
  const throttle = new LoginThrottle(deps.loginThrottle);
  const app = buildApp({ config, logger, registry, redis, queues, stats, metrics, finder, failedJobs, throttle });

  const server = await listen(app, config.port, config.host);
  server.on('error', (err) => logger.error({ err: describeError(err) }, 'dashboard server error'));
  const port = (server.address() as AddressInfo).port;
  const url = `http://${displayHost(config.host)}:${port}/`;
  if (config.auth.open) logger.warn({ host: config.host }, 'dashboard runs WITHOUT authentication (DASHBOARD_OPEN=true, loopback only)');
  logger.info({ port, url, read_only: config.readOnly, auth: authKinds(config) }, 'dashboard listening');

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      // 1. No new requests; open keep-alive connections (a browser's) are cut.
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      // 2. The queues share the connection and do not own it; 3. then the connection itself.
      await Promise.all(Object.values(queues).map((q) => q.close()));
      await quitRedis(redis, 'socketworks-dashboard', logger);
    })());

  return { port, url, server, app, queues, stats, metrics, registry, stop };
}

interface AppParts {
  config: DashboardConfig;
  logger: Logger;
  registry: Registry;
  redis: RedisClient;
  queues: Readonly<Record<QueueName, Queue>>;
  stats: QueueStats;
  metrics: DashboardMetrics;
  finder: JobFinder;
  failedJobs: FailedJobs;
  throttle: LoginThrottle;
}

function buildApp(parts: AppParts): Express {
  const { config, logger, registry, redis, stats, metrics, finder, failedJobs } = parts;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  // First, before even the probes: an open dashboard answers nothing to a rebound DNS name.
  if (config.auth.open) app.use(loopbackHostOnly({ refusals: metrics.refusals, logger }));

  // Unauthenticated, like every service's ops port: probes and Prometheus. Network-restrict them
  // (README.md, infra/k8s NetworkPolicy): the counts are not secret, but nobody outside needs them.
  app.get('/healthz', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    const ready = await pingWithin(redis, READY_TIMEOUT_MS);
    res.status(ready ? 200 : 503).json({ ready, redis: ready ? 'ok' : 'unreachable' });
  });
  app.get('/metrics', async (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.type(registry.contentType).send(await registry.metrics());
  });

  app.use(securityHeaders);
  app.use(authenticate({ auth: config.auth, authFailures: metrics.authFailures, refusals: metrics.refusals, logger, throttle: parts.throttle }));
  app.use(readOnlyGuard(config.readOnly));
  app.use(sameOriginForChanges);
  app.use(['/api', `${BOARD_BASE_PATH}/api`, '/jobs', '/retry-failed'], requireRedis(redis));
  app.use(BOARD_BASE_PATH, boardAudit(logger), createBoardRouter({ queues: parts.queues, readOnly: config.readOnly, failedJobs, retries: metrics.retries, refusals: metrics.refusals, badRequests: metrics.badRequests, logger }));
  app.use('/api', createApiRouter({ finder, failedJobs, stats, retries: metrics.retries }));
  app.use(express.urlencoded({ extended: false, limit: '4kb' }));
  app.use(createPageRouter({ finder, failedJobs, stats, retries: metrics.retries, readOnly: config.readOnly }));
  app.use((_req, _res, next) => next(new DashboardError('ERR_DASHBOARD_NO_ROUTE', 'no such page')));
  app.use(errorHandler(logger, renderErrorPage, metrics.badRequests));
  return app;
}

/**
 * Every queue gets an error listener. The four share one connection, so each of its errors (one
 * per reconnect attempt while Redis is down) reaches all four: an error is logged once while it
 * repeats, as attachRedisLogging does for the connection itself.
 */
function logQueueErrors(queues: Readonly<Record<QueueName, Queue>>, redis: RedisClient, logger: Logger): void {
  const errors = new RepeatedErrors();
  for (const [name, queue] of Object.entries(queues)) {
    queue.on('error', (err: unknown) => {
      const described = errors.fresh(err);
      if (described) logger.warn({ queue: name, err: described }, 'queue error');
    });
  }
  redis.on('ready', () => errors.reset());
}

/** Answers 503 at once while Redis is disconnected, instead of holding the request until it is back. */
function requireRedis(redis: RedisClient): express.RequestHandler {
  return (_req, _res, next) => {
    if (redis.status !== 'ready') return next(new DashboardError('ERR_DASHBOARD_REDIS_UNAVAILABLE', 'Redis is not answering: try again when /readyz says ready'));
    next();
  };
}

/** Audit trail for changes made through bull-board (retry, clean, pause, …): who, what, outcome. */
function boardAudit(logger: Logger): express.RequestHandler {
  return (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.on('finish', () => {
        logger.info({ method: req.method, path: `${BOARD_BASE_PATH}${req.path}`, status: res.statusCode, actor: res.locals.actor }, 'bull-board action');
      });
    }
    next();
  };
}

async function checkRedisAtStart(redis: RedisClient, logger: Logger): Promise<void> {
  try {
    await checkRedis(redis, logger);
  } catch (err) {
    // The dashboard still starts: /readyz says 503 until Redis answers, and the check runs then.
    logger.warn({ err: describeError(err) }, 'redis is not reachable at start; /readyz answers 503 until it is');
    redis.once('ready', () => {
      checkRedis(redis, logger).catch((again: unknown) => logger.warn({ err: describeError(again) }, 'redis check failed'));
    });
  }
}

async function pingWithin(redis: RedisClient, timeoutMs: number): Promise<boolean> {
  if (redis.status !== 'ready') return false;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([redis.ping().then((r) => r === 'PONG', () => false), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function listen(app: Express, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    const onError = (err: Error) => reject(new DashboardError('ERR_DASHBOARD_LISTEN', `cannot listen on ${host}:${port}: ${err.message}`, { cause: err }));
    server.once('error', onError);
    server.once('listening', () => {
      server.off('error', onError);
      resolve(server);
    });
  });
}

function displayHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  if (host.includes(':') && !host.startsWith('[')) return `[${host}]`;
  return isLoopbackHost(host) ? host : host;
}

function authKinds(config: DashboardConfig): string[] {
  if (config.auth.open) return ['open'];
  return [config.auth.basic ? 'basic' : undefined, config.auth.bearerToken ? 'bearer' : undefined].filter((k): k is string => k !== undefined);
}
