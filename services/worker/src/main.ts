// Composition root: config → logger → CPU priority → worker (app module → ops server → one BullMQ
// Worker per served queue) → unhandled-rejection handler → signal handling. Tests call startWorker directly.
import { getPriority, setPriority } from 'node:os';
import { createLogger, describeError, exitOnStartupError, installShutdown, type Logger } from '@socketworks/runtime';
import { appEnvironment, loadWorkerConfig } from './config';
import { handleUnhandledRejections } from './unhandled-rejections';
import { startWorker } from './worker';

async function main(): Promise<void> {
  let config;
  try {
    config = loadWorkerConfig(process.env);
  } catch (err) {
    // No logger yet: the level is part of the config. The message names variables, never values.
    exitOnStartupError(err);
  }
  // The token itself is a last-resort censor string: no line can carry it even if a library or
  // the app puts it in a message. (Tokens from the Redis installation store are not known here.)
  const logger = createLogger({ name: 'worker', level: config.LOG_LEVEL, secrets: config.SLACK_BOT_TOKEN ? [config.SLACK_BOT_TOKEN] : [] });
  lowerCpuPriority(config.WORKER_NICE, logger);
  try {
    const worker = await startWorker(config, { logger, appEnv: appEnvironment(process.env) });
    // From here a rejection nobody awaited (an app's fire-and-forget call) is logged and counted
    // instead of ending the process with every job it holds (unhandled-rejections.ts).
    handleUnhandledRejections({ logger, metrics: worker.metrics });
    installShutdown({ logger, timeoutMs: config.WORKER_SHUTDOWN_TIMEOUT_MS, stop: () => worker.stop() });
  } catch (err) {
    exitOnStartupError(err, logger);
  }
}

/**
 * WORKER_NICE: lowers this process's priority to `nice` (never raises it: that needs privilege and
 * is not the worker's to ask for). A refusal is logged; the worker runs on at the priority it has.
 */
function lowerCpuPriority(nice: number, logger: Logger): void {
  if (nice === 0) return;
  try {
    const current = getPriority();
    if (current >= nice) {
      logger.info({ nice: current, requested: nice }, 'cpu priority already at or below WORKER_NICE; left as it is');
      return;
    }
    setPriority(nice);
    logger.info({ nice: getPriority() }, 'cpu priority lowered');
  } catch (err) {
    logger.warn({ requested: nice, err: describeError(err) }, 'could not lower the cpu priority; running at the current one');
  }
}

void main();
