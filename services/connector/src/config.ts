// The connector's whole configuration: one zod schema keyed by the variable names (a contract
// with operators: README.md lists them), parsed once in main.ts. A missing or malformed variable
// stops the process naming the variable and the problem, never the value.
import { z } from 'zod';
import { ConfigError, env, loadConfig, type ConfigProblem } from '@socketworks/runtime';

const MIB = 1024 * 1024;

export const connectorConfigSchema = z.object({
  /**
   * App-level token (`xapp-…`, scope `connections:write`) used only for `apps.connections.open`.
   * Required unless SLACK_DELIVERY is `http` (checked in {@link loadConnectorConfig}).
   */
  SLACK_APP_TOKEN: env.token('xapp-').optional(),
  /**
   * How Slack reaches the app: `socket` (Socket Mode sockets under leases), `http` (signed
   * requests on HTTP_PORT at /slack/events), or `both` while an app flips between the two.
   */
  SLACK_DELIVERY: z.preprocess((v) => (v === '' ? undefined : v), z.enum(['socket', 'http', 'both']).default('socket')),
  /** Verifies HTTP requests (HMAC-SHA256, PROTOCOL.md §5.1). Required when SLACK_DELIVERY is `http` or `both`. Never logged. */
  SLACK_SIGNING_SECRET: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(8).optional()),
  /** HTTP delivery: the port of /slack/events. 0 picks a free port (logged as `http listening`). */
  HTTP_PORT: env.port(3000),
  /** Interface the HTTP receiver binds. */
  HTTP_HOST: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(1).default('0.0.0.0')),
  /** HTTP delivery: larger request bodies are refused with 413 before they are read in full. */
  HTTP_MAX_BODY_BYTES: env.int({ min: 1024, max: 32 * MIB, default: MIB }),
  /**
   * Connection-slot leases (a Redis lock per slot with a fencing token): time to live. Renewed
   * every TTL/3; a dead replica's slots are taken over within about one TTL.
   */
  CONNECTOR_LEASE_TTL_MS: env.int({ min: 300, max: 60000, default: 5000 }),
  /**
   * A slot whose lease lapsed because Redis could not be reached keeps its socket open, never
   * acking on it, for at most this long, then closes it (0 = close at once). See README
   * "Redis unreachable".
   */
  CONNECTOR_UNLEASED_SOCKET_MAX_MS: env.int({ min: 0, max: 600000, default: 60000 }),
  /** Web API base; point it at the simulator in tests and the demo. */
  SLACK_API_URL: env.slackApiUrl(),
  /** Where the queues live. Never logged (it may carry a password). */
  REDIS_URL: env.redisUrl(),
  /** `true`: REDIS_URL is a seed node of a Redis Cluster (every key shares the prefix's hash tag). */
  REDIS_CLUSTER: env.bool(false),
  /** BullMQ key prefix, wrapped in a `{hash tag}` so Redis Cluster keeps a queue's keys together. */
  QUEUE_PREFIX: env.queuePrefix(),
  LOG_LEVEL: env.logLevel(),
  /** /metrics, /healthz, /readyz. 0 picks a free port (logged as `ops server listening`). */
  METRICS_PORT: env.port(9091),
  /** Interface the ops server binds. Tests and single-host setups use 127.0.0.1. */
  METRICS_HOST: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(1).default('0.0.0.0')),
  /**
   * Connection slots of the app, shared by every connector replica (each slot is one socket,
   * owned by one replica through its lease). Slack allows 10 sockets per app including refresh and
   * handover overlap (each make-before-break briefly adds one), hence at most 9.
   */
  SLACK_CONNECTIONS: env.int({ min: 1, max: 9, default: 2 }),
  /** Frames above this are rejected (logged, counted) without being parsed; the socket stays up. */
  SLACK_MAX_FRAME_BYTES: env.int({ min: 1024, max: 32 * MIB, default: MIB }),
  /**
   * How long a finished job (and so its id, the dedupe key) is kept. Slack's last retry comes
   * ~5 min after the first delivery (PROTOCOL.md §8), hence the 10 min floor.
   */
  QUEUE_DEDUPE_WINDOW_SECONDS: env.int({ min: 600, default: 3600 }),
  /**
   * ioredis `commandTimeout` on the producer connection: the longest an enqueue may take before the
   * envelope is left unacked. Must stay well under Slack's 3 s ack deadline.
   */
  CONNECTOR_ENQUEUE_TIMEOUT_MS: env.int({ min: 50, max: 2500, default: 1500 }),
  /**
   * Sync lane: how long after receipt the ack of a slash command, `block_suggestion` or
   * `view_submission` (with `accepts_response_payload`) may wait for the handler's `ack(answer)`
   * before it is sent bare. Slack's deadline is 3 s from delivery; leave room for the network.
   * 0 = never wait (every ack bare, as without the sync lane).
   */
  SYNC_ACK_BUDGET_MS: env.int({ min: 0, max: 2800, default: 2000 }),
  /** SIGTERM budget: stop reading, finish in-flight acks, close sockets and Redis; past it, exit 1. */
  CONNECTOR_SHUTDOWN_TIMEOUT_MS: env.int({ min: 1000, max: 120000, default: 10000 }),
});

export type ConnectorConfig = Readonly<z.output<typeof connectorConfigSchema>>;

/** Parses the environment once; throws `ConfigError` (code `ERR_CONFIG_INVALID`) naming each bad variable. */
export function loadConnectorConfig(source: NodeJS.ProcessEnv | Record<string, string | undefined>): ConnectorConfig {
  const config = loadConfig(connectorConfigSchema, source);
  // Rules across variables, worded like the schema's own messages (the name, never the value).
  const problems: ConfigProblem[] = [];
  if (config.SLACK_DELIVERY !== 'http' && config.SLACK_APP_TOKEN === undefined) {
    problems.push({ variable: 'SLACK_APP_TOKEN', problem: 'is required' });
  }
  if (config.SLACK_DELIVERY !== 'socket' && config.SLACK_SIGNING_SECRET === undefined) {
    problems.push({ variable: 'SLACK_SIGNING_SECRET', problem: `is required when SLACK_DELIVERY is ${config.SLACK_DELIVERY}` });
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
