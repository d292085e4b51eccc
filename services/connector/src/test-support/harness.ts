// Test support (not built into dist): the simulator on port 0, a real Redis under a fresh queue
// prefix, and the connector running in this process with its logs captured.
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { SlackSim, type SlackSimOptions } from '@socketworks/slack-sim';
import { bullPrefix, type QueueName } from '@socketworks/protocol';
import { deleteKeys, getTestRedisUrl, uniquePrefix, waitFor } from '@socketworks/testing';
import { loadConnectorConfig, type ConnectorConfig } from '../config';
import { startConnector, type Connector, type ConnectorDeps } from '../connector';
import { captureLogs, type LogCapture } from './log-capture';

export const TEST_APP_TOKEN = 'xapp-1-A0000001-0000000001-harnessharnessharness';

export interface HarnessOptions {
  name: string;
  sim?: SlackSimOptions;
  /** Connector environment on top of the harness's (token, sim URL, Redis, prefix, port 0). */
  env?: Record<string, string>;
  /** Another Redis than the shared test one (fault tests). */
  redisUrl?: string;
  deps?: Partial<Omit<ConnectorDeps, 'logger'>>;
  /** Sockets to wait for before returning. @defaultValue SLACK_CONNECTIONS (0 to not wait) */
  waitForSockets?: number;
  logLevel?: string;
  /** Runs after the simulator started and before the connector does (e.g. to make it refuse the token). */
  beforeConnector?: (sim: SlackSim) => void;
}

export interface Harness {
  sim: SlackSim;
  connector: Connector;
  config: ConnectorConfig;
  logs: LogCapture;
  prefix: string;
  redisUrl: string;
  /** Reads the queue through a connection of the test's own. */
  jobs(queue: QueueName): Promise<Array<{ id: string; name: string; data: Record<string, unknown> }>>;
  /** Stops the connector and the simulator, deletes the test's keys. */
  close(): Promise<void>;
}

export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const sharedRedisUrl = await getTestRedisUrl();
  const redisUrl = options.redisUrl ?? sharedRedisUrl;
  const prefix = uniquePrefix(options.name);
  const sim = await SlackSim.start({ redeliveryTimeoutMs: 1000, ...options.sim });
  // Whatever fails from here on (a bad env in the test, a connector that does not start or never
  // connects) stops what was started: a simulator left listening keeps the test file from exiting.
  let connector: Connector | undefined;
  let config: ConnectorConfig;
  let logs: LogCapture;
  try {
    options.beforeConnector?.(sim);
    logs = captureLogs({ level: options.logLevel ?? 'debug', secrets: [TEST_APP_TOKEN] });
    config = loadConnectorConfig({
      SLACK_APP_TOKEN: TEST_APP_TOKEN,
      SLACK_API_URL: sim.apiUrl,
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: prefix,
      METRICS_PORT: '0',
      METRICS_HOST: '127.0.0.1',
      ...options.env,
    });
    connector = await startConnector(config, { logger: logs.logger, ...options.deps });
    const sockets = options.waitForSockets ?? config.SLACK_CONNECTIONS;
    if (sockets > 0) {
      const started = connector;
      await waitFor(() => started.slots.connectedSlots() >= sockets, { timeoutMs: 10000, message: `${sockets} connector socket(s)` });
    }
  } catch (err) {
    await connector?.stop();
    await sim.close();
    throw err;
  }
  const running = connector;
  const jobs = async (name: QueueName) => {
    const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
    const queue = new Queue(name, { connection, prefix: bullPrefix(prefix) });
    try {
      const list = await queue.getJobs(['wait', 'active', 'delayed', 'completed', 'failed', 'prioritized'], 0, -1);
      return list.map((j) => ({ id: String(j.id), name: j.name, data: j.data as Record<string, unknown> }));
    } finally {
      await queue.close();
      connection.disconnect();
    }
  };
  return {
    sim,
    connector: running,
    config,
    logs,
    prefix,
    redisUrl,
    jobs,
    close: async () => {
      await running.stop();
      await sim.close();
      await deleteKeys(redisUrl, `{${prefix}}*`);
    },
  };
}
