// APP_MODULE for the Socketworks worker when a handler cost is set (the slow-handler and
// worker-scaling scenarios): the example app's three answers (libs/example-app) — app_mention →
// say in the thread, /echo → ack then respond, block_actions → ack then respond — with the
// configured cost (BENCH_HANDLER_CPU_MS, then BENCH_HANDLER_DELAY_MS) paid where the Bolt
// reference app pays it: after the ack, before the answer. (The cost cannot sit in a global
// middleware: on the sync lane the connector's ack waits for the listener's ack().)
import type { App } from '@socketworks/framework';
import { handlerCost } from './handler-cost';

export default function register(app: App, options: { env?: Readonly<Record<string, string | undefined>> } = {}): void {
  const cost = handlerCost(options.env ?? {});

  app.event('app_mention', async ({ event, say }) => {
    await cost();
    await say({ text: `You said: ${event.text}`, thread_ts: event.ts });
  });

  app.command('/echo', async ({ command, ack, respond }) => {
    await ack();
    await cost();
    await respond({ response_type: 'ephemeral', text: `Echo: ${command.text}` });
  });

  app.action({ type: 'block_actions' }, async ({ body, ack, respond }) => {
    await ack();
    await cost();
    const values = body.actions.map((a) => a.value ?? a.selected_option?.value ?? '(no value)');
    await respond({ response_type: 'ephemeral', replace_original: false, text: `You clicked: ${values.join(', ')}` });
  });
}
