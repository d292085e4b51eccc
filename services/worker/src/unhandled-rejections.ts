// A promise an app started and never awaited (`void say(…)`, `client.chat.postMessage(…)` without
// `await`) that rejects — and with `rejectRateLimitedCalls` a 429 rejects at once — would end the
// process under Node's default (`--unhandled-rejections=throw`), stranding every job this worker
// holds until the stalled check hands them out again. The rejection belongs to a run that already
// ended or will end on its own: log it, count it, keep serving.
import { describeError, type Logger } from '@socketworks/runtime';
import type { WorkerMetrics } from './metrics';

export interface UnhandledRejectionOptions {
  logger: Logger;
  metrics: Pick<WorkerMetrics, 'unhandledRejections'>;
  /** @defaultValue process */
  target?: NodeJS.EventEmitter;
}

/** Installs the handler; returns a function that removes it. */
export function handleUnhandledRejections(options: UnhandledRejectionOptions): () => void {
  const target = options.target ?? process;
  const onRejection = (reason: unknown): void => {
    options.metrics.unhandledRejections.inc();
    // Only the error's name, code and message (no stack, no request or response objects that
    // could carry a token or a body); the logger's censor covers the configured token too.
    options.logger.error(
      { err: describeError(reason) },
      'unhandled promise rejection (a call the app did not await failed); the worker keeps running — await it or add .catch()',
    );
  };
  target.on('unhandledRejection', onRejection);
  return () => {
    target.off('unhandledRejection', onRejection);
  };
}
