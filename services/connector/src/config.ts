// The connector's whole configuration: one zod schema keyed by the variable names (a contract
// with operators: README.md lists them), parsed once in main.ts. A missing or malformed variable
// stops the process naming the variable and the problem, never the value.
import { z } from 'zod';
import { env, loadConfig } from '@socketworks/runtime';

const MIB = 1024 * 1024;

export const connectorConfigSchema = z.object({
  /** App-level token (`xapp-…`, scope `connections:write`) used only for `apps.connections.open`. */
  SLACK_APP_TOKEN: env.token('xapp-'),
  /** Web API base; point it at the simulator in tests and the demo. */
  SLACK_API_URL: env.slackApiUrl(),
  /** Where the queues live. Never logged (it may carry a password). */
  REDIS_URL: env.redisUrl(),
  /** BullMQ key prefix, wrapped in a `{hash tag}` so Redis Cluster keeps a queue's keys together. */
  QUEUE_PREFIX: env.queuePrefix(),
  LOG_LEVEL: env.logLevel(),
  /** /metrics, /healthz, /readyz. 0 picks a free port (logged as `ops server listening`). */
  METRICS_PORT: env.port(9091),
  /** Interface the ops server binds. Tests and single-host setups use 127.0.0.1. */
  METRICS_HOST: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(1).default('0.0.0.0')),
  /**
   * Sockets (connection slots) this process holds. Slack allows 10 per app including refresh
   * overlap (each make-before-break briefly adds one), hence at most 9.
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
  return loadConfig(connectorConfigSchema, source);
}
