// Composition root: config → logger → connector (Redis check → queues → ingestor → ops server →
// slots) → signal handling. Nothing here is needed by tests; they call startConnector directly.
import { createLogger, exitOnStartupError, installShutdown } from '@socketworks/runtime';
import { loadConnectorConfig } from './config';
import { startConnector } from './connector';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConnectorConfig(process.env);
  } catch (err) {
    // No logger yet: the level is part of the config. The message names variables, never values.
    exitOnStartupError(err);
  }
  // The token and the signing secret themselves are last-resort censor strings: no line can
  // carry them even if a library puts them in an error message.
  const secrets = [config.SLACK_APP_TOKEN, config.SLACK_SIGNING_SECRET].filter((s): s is string => s !== undefined);
  const logger = createLogger({ name: 'connector', level: config.LOG_LEVEL, secrets });
  try {
    const connector = await startConnector(config, { logger });
    installShutdown({ logger, timeoutMs: config.CONNECTOR_SHUTDOWN_TIMEOUT_MS, stop: () => connector.stop() });
  } catch (err) {
    exitOnStartupError(err, logger);
  }
}

void main();
