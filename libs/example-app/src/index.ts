// The bundled example app, run by the worker when APP_MODULE is not set. Its behaviour is a
// contract other tests and the demo rely on (README.md); change both together.
import { PermanentError, type App } from '@socketworks/framework';

export interface ExampleAppOptions {
  /** The environment the worker passes through (its own secrets removed). */
  env?: Readonly<Record<string, string | undefined>>;
}

/** The start of the error message of the deliberate failure; the failed-jobs view shows it. */
export const DELIBERATE_FAILURE = "example app: deliberate failure on 'fail'";

/** A leading bot mention, `<@U0123ABC>` or `<@U0123ABC|name>`, and the spaces after it. */
const LEADING_MENTION = /^\s*<@[A-Z0-9]+(?:\|[^>]*)?>\s*/;

/** The text with a leading mention removed, trimmed. */
export function withoutMention(text: string | undefined): string {
  return (text ?? '').replace(LEADING_MENTION, '').trim();
}

function failSwitch(value: string | undefined): boolean {
  const v = (value ?? '').trim().toLowerCase();
  if (v === '' || v === 'on' || v === 'true' || v === '1') return true;
  if (v === 'off' || v === 'false' || v === '0') return false;
  throw new Error('EXAMPLE_APP_FAIL must be on or off');
}

export default function register(app: App, options: ExampleAppOptions = {}): void {
  const failOnPurpose = failSwitch(options.env?.EXAMPLE_APP_FAIL);
  const failIfAsked = (text: string | undefined, where: string) => {
    if (failOnPurpose && withoutMention(text) === 'fail') {
      // Permanent: the job goes straight to the failed set (one attempt) where an operator can
      // inspect it and retry it; retrying it with EXAMPLE_APP_FAIL=off lets it pass.
      throw new PermanentError(`${DELIBERATE_FAILURE} (${where}); set EXAMPLE_APP_FAIL=off to turn it off`);
    }
  };

  app.event('app_mention', async ({ event, say }) => {
    failIfAsked(event.text, 'app_mention');
    await say({ text: `You said: ${event.text}`, thread_ts: event.ts });
  });

  app.message(async ({ message }) => {
    failIfAsked(message.text, 'message');
  });

  app.command('/echo', async ({ command, ack, respond }) => {
    await ack();
    await respond({ response_type: 'ephemeral', text: `Echo: ${command.text}` });
  });

  app.action({ type: 'block_actions' }, async ({ body, ack, respond }) => {
    await ack();
    const values = body.actions.map((a) => a.value ?? a.selected_option?.value ?? '(no value)');
    await respond({ response_type: 'ephemeral', replace_original: false, text: `You clicked: ${values.join(', ')}` });
  });
}
