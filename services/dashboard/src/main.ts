// Composition root: config → logger → dashboard → shutdown. Nothing here but wiring.
import { createLogger, exitOnStartupError, installShutdown, type Logger } from '@socketworks/runtime';
import { configSecrets, loadDashboardConfig } from './config';
import { startDashboard } from './dashboard';

async function main(): Promise<void> {
  let logger: Logger | undefined;
  try {
    const config = loadDashboardConfig(process.env);
    // The password and token are censored wherever they might appear, not only in known fields.
    logger = createLogger({ name: 'dashboard', level: config.logLevel, secrets: configSecrets(config) });
    const dashboard = await startDashboard(config, { logger });
    installShutdown({ logger, stop: () => dashboard.stop(), timeoutMs: 10000 });
  } catch (err) {
    exitOnStartupError(err, logger);
  }
}

void main();
