// An APP_MODULE for the sync-lane end-to-end tests (built to dist/sync-test-app.js and loaded by a
// real worker process). Its timings come from the worker's environment:
// - E2E_EVENT_DELAY_MS: every app_mention takes this long (a slow events handler). @defaultValue 0
// - E2E_LATE_ACK_MS: the `late_form` view listener acks after this long. @defaultValue 0
import type { App } from '@socketworks/framework';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function ms(value: string | undefined): number {
  const n = Number(value ?? '0');
  if (!Number.isInteger(n) || n < 0) throw new Error('E2E_EVENT_DELAY_MS and E2E_LATE_ACK_MS must be whole numbers of milliseconds');
  return n;
}

export default function register(app: App, { env }: { env: Readonly<Record<string, string | undefined>> }): void {
  const eventDelayMs = ms(env.E2E_EVENT_DELAY_MS);
  const lateAckMs = ms(env.E2E_LATE_ACK_MS);

  app.event('app_mention', async ({ event, logger }) => {
    await sleep(eventDelayMs);
    logger.info({ event_ts: event.ts }, 'e2e app: slow mention done');
  });

  app.options('fruit', async ({ options, ack }) => {
    await ack({ options: [{ text: { type: 'plain_text', text: options.value }, value: options.value }] });
  });

  app.view('form', async ({ ack }) => {
    await ack({ response_action: 'errors', errors: { b1: 'Required' } });
  });

  app.view('late_form', async ({ ack }) => {
    await sleep(lateAckMs);
    await ack({ response_action: 'errors', errors: { b1: 'too late to be seen' } });
  });

  app.command('/now', async ({ command, ack }) => {
    await ack(`now: ${command.text}`);
  });
}
