// Child process: the reference. A Bolt for JS app in Socket Mode, one process, as Slack's docs show
// it, pointed at the simulator (PROTOCOL.md §7.3). Its listeners do exactly what the example app
// (libs/example-app) does: app_mention → chat.postMessage in the thread with the text; /echo →
// respond; block_actions → respond with the values. BENCH_HANDLER_DELAY_MS / _CPU_MS add the same
// handler cost as the Socketworks worker's bench app module (after the ack, as a Bolt listener
// that acks first and then works).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { App, LogLevel } from '@slack/bolt';
import { announceReady, serveCommands } from './ipc';
import { handlerCost } from './handler-cost';
import { LOOP_RESOLUTION_MS, loopDelayMs } from './stats';

/** Same as the example app: a leading bot mention is not part of what the user said. */
async function main(): Promise<void> {
  const cost = handlerCost(process.env);
  const app = new App({
    token: process.env.SLACK_BOT_TOKEN,
    appToken: process.env.SLACK_APP_TOKEN,
    socketMode: true,
    logLevel: LogLevel.ERROR,
    clientOptions: { slackApiUrl: process.env.SLACK_API_URL },
  });

  app.event('app_mention', async ({ event, say }) => {
    await cost();
    await say({ text: `You said: ${event.text}`, thread_ts: event.ts });
  });

  app.message(async () => {
    // The example app's message listener only fails on purpose on 'fail'; nothing to answer.
  });

  app.command('/echo', async ({ command, ack, respond }) => {
    await ack();
    await cost();
    await respond({ response_type: 'ephemeral', text: `Echo: ${command.text}` });
  });

  app.action({ type: 'block_actions' }, async ({ body, ack, respond }) => {
    await ack();
    await cost();
    const values = body.actions.map((a) => ('value' in a && a.value) || ('selected_option' in a && a.selected_option?.value) || '(no value)');
    await respond({ response_type: 'ephemeral', replace_original: false, text: `You clicked: ${values.join(', ')}` });
  });

  app.error(async (err) => {
    process.stderr.write(`bolt listener error: ${err.message}\n`);
  });

  const lag = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  lag.enable();
  serveCommands(
    {
      /** Event-loop delay since the last call (then reset), in ms. */
      lag: () => {
        const out = { p99: loopDelayMs(lag.percentile(99)), max: loopDelayMs(lag.max) };
        lag.reset();
        return out;
      },
      stop: async () => {
        await app.stop();
        setImmediate(() => process.exit(0));
        return true;
      },
    },
    () => process.exit(0),
  );
  await app.start();
  announceReady({ started: true });
}

main().catch((err: unknown) => {
  process.stderr.write(`bolt-app failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
