// The stack every end-to-end test runs: the simulator in the test's process, then a worker process
// and a connector process (the built services) on Redis under the test's own key prefix; and the
// clean-up that stops them all and deletes the prefix's keys.
import { SlackSim, type SlackSimOptions } from '@socketworks/slack-sim';
import { deleteKeys, getTestRedisUrl, startConnectorProcess, startWorkerProcess, type ServiceProcess } from '@socketworks/testing';

export interface E2eStackOptions {
  /** QUEUE_PREFIX: unique per test file (`uniquePrefix`), so files never see each other's jobs. */
  queuePrefix: string;
  sim?: SlackSimOptions;
  /**
   * A Redis of the test's own (a private cluster) and the env that points the services at it
   * (`REDIS_CLUSTER`); its keys are left to its owner. Default: the test Redis (`REDIS_URL`).
   */
  redis?: { url: string; env?: Record<string, string> };
  /** LOG_LEVEL of both services. @defaultValue 'info' */
  logLevel?: string;
  workerEnv?: Record<string, string>;
  connectorEnv?: Record<string, string>;
  /** SLACK_CONNECTIONS: the connector is up once this many sockets have their hello. @defaultValue 2 */
  sockets?: number;
  /** SIGKILL when the worker's backlog would keep it running past the test. @defaultValue 'SIGTERM' */
  workerStopSignal?: NodeJS.Signals;
}

export interface E2eStack {
  sim: SlackSim;
  worker: ServiceProcess;
  connector: ServiceProcess;
  redisUrl: string;
  /** Stops both processes, closes the simulator, deletes the prefix's keys (on the test Redis). */
  stop(): Promise<void>;
}

export async function startE2eStack(options: E2eStackOptions): Promise<E2eStack> {
  const redisUrl = options.redis?.url ?? (await getTestRedisUrl());
  const sim = await SlackSim.start(options.sim ?? {});
  const common = { redisUrl, queuePrefix: options.queuePrefix, slackApiUrl: sim.apiUrl, ...(options.logLevel ? { logLevel: options.logLevel } : {}) };
  const redisEnv = options.redis?.env ?? {};
  let worker: ServiceProcess | undefined;
  let connector: ServiceProcess | undefined;
  const stop = async (): Promise<void> => {
    await Promise.all([connector?.stop(), worker?.stop(options.workerStopSignal ?? 'SIGTERM')]);
    await sim.close();
    if (!options.redis) await deleteKeys(redisUrl, `{${options.queuePrefix}}*`);
  };
  try {
    worker = await startWorkerProcess({ ...common, env: { ...redisEnv, ...options.workerEnv } });
    connector = await startConnectorProcess({ ...common, sockets: options.sockets ?? 2, env: { ...redisEnv, ...options.connectorEnv } });
  } catch (err) {
    // Whatever started is stopped: a failed start leaves no process behind.
    await stop();
    throw err;
  }
  return { sim, worker, connector, redisUrl, stop };
}
