// Composition root: config → logger → simulator → shutdown on SIGTERM/SIGINT.
import { createLogger, exitOnStartupError, installShutdown, loadConfig, type Logger } from '@socketworks/runtime';
import { SlackSim } from '@socketworks/slack-sim';
import { configSchema } from './config';

async function main(): Promise<void> {
  let logger: Logger | undefined;
  try {
    const config = loadConfig(configSchema, process.env);
    const secrets = [config.SLACK_APP_TOKEN, config.SLACK_BOT_TOKEN].filter((s): s is string => s !== undefined);
    logger = createLogger({ name: 'slack-sim', level: config.LOG_LEVEL, secrets });
    const sim = await SlackSim.start({
      port: config.SIM_PORT,
      host: config.SIM_HOST,
      publicBaseUrl: config.SIM_PUBLIC_URL,
      redeliveryTimeoutMs: config.SIM_REDELIVERY_TIMEOUT_MS,
      maxRecords: config.SIM_MAX_RECORDS,
      appTokens: config.SLACK_APP_TOKEN ? [config.SLACK_APP_TOKEN] : undefined,
      botTokens: config.SLACK_BOT_TOKEN ? [config.SLACK_BOT_TOKEN] : undefined,
      logger,
    });
    // Drivers (the end-to-end stack, the benchmark) wait for this line to know the simulator is up,
    // so start and stop lines are written at any LOG_LEVEL except silent.
    const lifecycle = config.LOG_LEVEL === 'silent' || logger.isLevelEnabled('info') ? logger : logger.child({}, { level: 'info' });
    lifecycle.info({ port: sim.port, api_url: sim.apiUrl }, 'slack-sim listening');
    installShutdown({
      logger: lifecycle,
      // Only the simulator to stop: it closes its sockets (1001), then its HTTP server.
      stop: () => sim.close(),
    });
  } catch (err) {
    exitOnStartupError(err, logger);
  }
}

void main();
