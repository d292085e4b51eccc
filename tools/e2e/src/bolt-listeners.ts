// Listeners written the way Bolt for JS's documentation writes them (docs.slack.dev/tools/bolt-js:
// getting started, events, messages, commands, actions, views, options, shortcuts, acknowledging
// requests). Only the import changed: `App` comes from @socketworks/framework instead of
// @slack/bolt, and the listeners sit in the APP_MODULE register function the worker calls
// instead of at the top level of a script that calls `app.start()`. bolt-compat.int.test.ts runs
// them unchanged through the connector and the worker against the simulator.
//
// One TypeScript-only difference from the JavaScript docs: this repository compiles with
// `noUncheckedIndexedAccess`, so reading `view.state.values.<block>.<action>` takes `?.` — Bolt's
// own types give the same error under that flag.
import type { App } from '@socketworks/framework';

/** Where the team_join welcome goes (a channel id, as in the docs' example). */
const welcomeChannelId = 'C0000099';
/**
 * Where submissions are reported. The docs post to the user id (Slack then writes to the app's
 * DM with that user); the simulator only knows C/D/G channel ids, so a channel stands in.
 */
const submissionsChannelId = 'C0000098';

export default function register(app: App): void {
  // Listens to incoming messages that contain "hello"
  app.message('hello', async ({ message, say }) => {
    // say() sends a message to the channel where the event was triggered
    await say(`Hey there <@${message.user}>!`);
  });

  // When a user joins the team, send a message in a predefined channel asking them to introduce themselves
  app.event('team_join', async ({ event, client, logger }) => {
    try {
      // Call chat.postMessage with the built-in client
      const result = await client.chat.postMessage({
        channel: welcomeChannelId,
        text: `Welcome to the team, <@${event.user.id}>! 🎉 You can introduce yourself in this channel.`,
      });
      logger.info(result);
    } catch (error) {
      logger.error(error);
    }
  });

  // The ticket command acknowledges at once, then answers through the response_url
  app.command('/ticket', async ({ command, ack, respond }) => {
    // Acknowledge command request
    await ack();

    await respond(`Ticket received: ${command.text}`);
  });

  // An immediate response: the string passed to ack() is the message the user sees
  app.command('/hello', async ({ command, ack }) => {
    await ack(`Hello, <@${command.user_id}>!`);
  });

  // An immediate response with a message object
  app.command('/status', async ({ ack }) => {
    await ack({ response_type: 'in_channel', text: 'All systems go' });
  });

  // Listen for a button invocation with action_id `approve_button` and respond with a message
  app.action('approve_button', async ({ ack, say }) => {
    // Acknowledge action request
    await ack();
    await say('Request approved 👍');
  });

  // Open a modal from a button: the action's trigger_id is valid for 3 seconds
  app.action('button_click', async ({ body, ack, client, logger }) => {
    await ack();
    try {
      const result = await client.views.open({
        trigger_id: body.trigger_id,
        view: {
          type: 'modal',
          callback_id: 'view_1',
          title: { type: 'plain_text', text: 'Modal title' },
          blocks: [
            {
              type: 'input',
              block_id: 'input_c',
              label: { type: 'plain_text', text: 'What are your hopes and dreams?' },
              element: { type: 'plain_text_input', action_id: 'dreamy_input', multiline: true },
            },
          ],
          submit: { type: 'plain_text', text: 'Submit' },
        },
      });
      logger.info(result);
    } catch (error) {
      logger.error(error);
    }
  });

  // Handle a view_submission request
  app.view('view_1', async ({ ack, body, view, client, logger }) => {
    // Assume there's an input block with `input_c` as the block_id and `dreamy_input`
    const val = view.state.values.input_c?.dreamy_input?.value;
    const user = body.user.id;

    if (!val || val.length < 5) {
      // Acknowledge with an error shown under the input block
      await ack({ response_action: 'errors', errors: { input_c: 'Please dream a little longer' } });
      return;
    }
    // Acknowledge the view_submission request
    await ack();

    // Message the user
    try {
      await client.chat.postMessage({ channel: submissionsChannelId, text: `<@${user}>: your submission was successful: ${val}` });
    } catch (error) {
      logger.error(error);
    }
  });

  // Update the view on submission
  app.view('view_update', async ({ ack, body }) => {
    await ack({
      response_action: 'update',
      view: buildNewModalView(body.user.id),
    });
  });

  // Push a new view on top of the stack
  app.view('view_push', async ({ ack }) => {
    await ack({ response_action: 'push', view: buildNewModalView('next') });
  });

  // Close every view of the stack
  app.view('view_clear', async ({ ack }) => {
    await ack({ response_action: 'clear' });
  });

  // Responding to an external_select options request
  app.options('external_action', async ({ options, ack }) => {
    const typed = options.value;
    if (typed) {
      const results = ['Apple', 'Banana', 'Cherry'].filter((fruit) => fruit.toLowerCase().startsWith(typed.toLowerCase()));
      await ack({
        options: results.map((label) => ({ text: { type: 'plain_text', text: label }, value: label.toLowerCase() })),
      });
    } else {
      await ack();
    }
  });

  // The open_modal shortcut opens a plain text modal
  app.shortcut('open_modal', async ({ shortcut, ack, client, logger }) => {
    try {
      // Acknowledge shortcut request
      await ack();

      // Call the views.open method using one of the built-in WebClients
      const result = await client.views.open({
        trigger_id: shortcut.trigger_id,
        view: {
          type: 'modal',
          title: { type: 'plain_text', text: 'My App' },
          close: { type: 'plain_text', text: 'Close' },
          blocks: [
            {
              type: 'section',
              text: { type: 'mrkdwn', text: 'About the simplest modal you could conceive of :smile:' },
            },
          ],
        },
      });

      logger.info(result);
    } catch (error) {
      logger.error(error);
    }
  });
}

function buildNewModalView(who: string) {
  return {
    type: 'modal' as const,
    callback_id: 'view_next',
    title: { type: 'plain_text' as const, text: 'Updated' },
    blocks: [{ type: 'section' as const, text: { type: 'mrkdwn' as const, text: `Thanks, ${who}` } }],
  };
}
