// Composition root: config → logger → worker (app module → ops server → one BullMQ Worker per
// served queue) → signal handling. Tests call startWorker directly.
import { createLogger, exitOnStartupError, installShutdown } from '@socketworks/runtime';
import { appEnvironment, loadWorkerConfig } from './config';
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
  try {
    const worker = await startWorker(config, { logger, appEnv: appEnvironment(process.env) });
    installShutdown({ logger, timeoutMs: config.WORKER_SHUTDOWN_TIMEOUT_MS, stop: () => worker.stop() });
  } catch (err) {
    exitOnStartupError(err, logger);
  }
}

void main();
