import type { Logger } from 'pino';
import { describeError } from './errors';

export interface ShutdownOptions {
  logger: Logger;
  /** Stops the service in order; the process exits 0 when it resolves. */
  stop: (signal: string) => Promise<void>;
  /** Past this the process exits 1 whatever is still running. @defaultValue 30000 */
  timeoutMs?: number;
  /** @defaultValue ['SIGTERM', 'SIGINT'] */
  signals?: NodeJS.Signals[];
}

/** SIGTERM/SIGINT run `stop` once; a second signal or the timeout forces the exit. */
export function installShutdown(options: ShutdownOptions): void {
  let stopping = false;
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      options.logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    options.logger.info({ signal }, 'stopping');
    const timer = setTimeout(() => {
      options.logger.error({ timeout_ms: options.timeoutMs ?? 30000 }, 'shutdown timed out: exiting');
      process.exit(1);
    }, options.timeoutMs ?? 30000);
    timer.unref();
    options.stop(signal).then(
      () => {
        options.logger.info('stopped');
        process.exit(0);
      },
      (err: unknown) => {
        options.logger.error({ err: describeError(err) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  for (const signal of signals) process.on(signal, onSignal);
}

/** For a failure at start: log it (when a logger exists) and exit 1 with a one-line message. */
export function exitOnStartupError(err: unknown, logger?: Logger): never {
  const described = describeError(err);
  if (logger) logger.fatal({ err: described }, 'failed to start');
  process.stderr.write(`${described.message}\n`);
  process.exit(1);
}
