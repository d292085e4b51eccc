// The bundled example app, run by the worker when APP_MODULE is not set. Its behaviour is a
// contract other tests and the demo rely on (README.md); change both together.
import { PermanentError, type App, type ViewPayload } from '@socketworks/framework';

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

/** The modal a global shortcut opens: one plain-text input, submitted back as `view_submission`. */
export const EXAMPLE_MODAL_CALLBACK_ID = 'example_modal';
export const EXAMPLE_INPUT_BLOCK_ID = 'example_input';
export const EXAMPLE_INPUT_ACTION_ID = 'example_text';
/** The inline error shown under an empty input (`response_action: errors`). */
export const EMPTY_INPUT_ERROR = 'Please fill this in.';

export function exampleModal() {
  const plainText = (text: string) => ({ type: 'plain_text' as const, text });
  return {
    type: 'modal' as const,
    callback_id: EXAMPLE_MODAL_CALLBACK_ID,
    title: plainText('Socketworks example'),
    submit: plainText('Send'),
    close: plainText('Cancel'),
    blocks: [
      {
        type: 'input' as const,
        block_id: EXAMPLE_INPUT_BLOCK_ID,
        label: plainText('Say something'),
        element: { type: 'plain_text_input' as const, action_id: EXAMPLE_INPUT_ACTION_ID },
      },
    ],
  };
}

/** The fixed options every `block_suggestion` answer ends with, after the typed value's own. */
export const FIXED_OPTIONS = [
  { text: { type: 'plain_text', text: 'Option A' }, value: 'option-a' },
  { text: { type: 'plain_text', text: 'Option B' }, value: 'option-b' },
] as const;

/** Options for a typed value: the value itself first (when not blank), then {@link FIXED_OPTIONS}. */
export function suggestedOptions(typed: string): Array<{ text: { type: 'plain_text'; text: string }; value: string }> {
  const echo = typed.trim() === '' ? [] : [{ text: { type: 'plain_text' as const, text: typed }, value: typed }];
  return [...echo, ...FIXED_OPTIONS.map((o) => ({ text: { ...o.text }, value: o.value }))];
}

/** block_id → error for every plain-text input of the view left empty (blank counts as empty). */
export function emptyInputErrors(view: ViewPayload): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const [blockId, actions] of Object.entries(view.state?.values ?? {})) {
    for (const state of Object.values(actions)) {
      if (state.type === 'plain_text_input' && (typeof state.value !== 'string' || state.value.trim() === '')) errors[blockId] = EMPTY_INPUT_ERROR;
    }
  }
  return errors;
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
    if (command.text.trim() === 'now') {
      // The answer travels in the ack itself (the sync lane): no response_url call.
      await ack({ response_type: 'ephemeral', text: `Echo: ${command.text}` });
      return;
    }
    await ack();
    await respond({ response_type: 'ephemeral', text: `Echo: ${command.text}` });
  });

  app.options({}, async ({ options, ack }) => {
    await ack({ options: suggestedOptions(options.value) });
  });

  app.view({ type: 'view_submission' }, async ({ view, ack }) => {
    const errors = emptyInputErrors(view);
    if (Object.keys(errors).length > 0) await ack({ response_action: 'errors', errors });
    else await ack();
  });

  app.shortcut({ type: 'shortcut' }, async ({ shortcut, ack, client }) => {
    await ack();
    // trigger_id expires 3 s after Slack sent the shortcut: open the modal right after the ack.
    await client.views.open({ trigger_id: shortcut.trigger_id, view: exampleModal() });
  });

  app.action({ type: 'block_actions' }, async ({ body, ack, respond }) => {
    await ack();
    const values = body.actions.map((a) => a.value ?? a.selected_option?.value ?? '(no value)');
    await respond({ response_type: 'ephemeral', replace_original: false, text: `You clicked: ${values.join(', ')}` });
  });
}
