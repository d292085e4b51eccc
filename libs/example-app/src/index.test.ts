// The example app's own rules: when it fails on purpose and when not, and the answers it puts in
// acks. What it sends to Slack is checked end to end against the simulator in services/worker
// (worker.int.test.ts) and through real processes in tools/e2e (sync-lane.int.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { App, classifyError, type FrameworkError, type SlackJobData } from '@socketworks/framework';
import register, {
  DELIBERATE_FAILURE,
  EMPTY_INPUT_ERROR,
  EXAMPLE_INPUT_ACTION_ID,
  EXAMPLE_INPUT_BLOCK_ID,
  EXAMPLE_MODAL_CALLBACK_ID,
  exampleModal,
  suggestedOptions,
  withoutMention,
} from './index';

function appWith(env: Record<string, string | undefined>): App {
  // Nothing listens on port 1: a listener that reached Slack here would fail the test loudly.
  const app = new App({ token: 'xoxb-0000000001-0000000001-exampleexample', slackApiUrl: 'http://127.0.0.1:1/api/' });
  register(app, { env });
  return app;
}

function eventJob(type: 'app_mention' | 'message', text: string): SlackJobData {
  return {
    v: 1,
    type: 'events_api',
    envelope_id: 'env-1',
    payload: {
      type: 'event_callback',
      team_id: 'T0000001',
      api_app_id: 'A0000001',
      event_id: 'Ev1',
      event_time: 1,
      event: { type, text, user: 'U0000001', channel: 'C0000001', ts: '1.000100', event_ts: '1.000100' },
    },
    accepts_response_payload: false,
    retry_attempt: 0,
    retry_reason: '',
    received_at: Date.now(),
    delivery: 'socket',
  };
}

test('withoutMention strips one leading bot mention', () => {
  assert.equal(withoutMention('<@U0000002> fail'), 'fail');
  assert.equal(withoutMention('<@U0000002|bot>   fail  '), 'fail');
  assert.equal(withoutMention('fail'), 'fail');
  assert.equal(withoutMention('please fail'), 'please fail');
  assert.equal(withoutMention(undefined), '');
});

test("'fail' in a message or a mention fails permanently with the deliberate-failure message", async () => {
  const app = appWith({});
  for (const [type, text] of [['message', 'fail'], ['app_mention', '<@U0000002> fail'], ['message', ' <@U0000002>  fail ']] as const) {
    await assert.rejects(app.dispatch(eventJob(type, text), 'j'), (err: FrameworkError) => {
      assert.ok(err.message.startsWith(DELIBERATE_FAILURE), err.message);
      assert.equal(err.code, 'ERR_APP_PERMANENT');
      assert.equal(classifyError(err), 'permanent');
      return true;
    });
  }
});

test('other messages do nothing; a message containing fail among other words is no failure', async () => {
  const app = appWith({});
  const result = await app.dispatch(eventJob('message', 'this may fail'), 'j');
  assert.deepEqual(result, { handled: true, listeners: 1, acked: false });
});

test('EXAMPLE_APP_FAIL=off turns the failure off; a bad value stops registration', async () => {
  const app = appWith({ EXAMPLE_APP_FAIL: 'off' });
  assert.equal((await app.dispatch(eventJob('message', 'fail'), 'j')).handled, true);
  assert.throws(() => appWith({ EXAMPLE_APP_FAIL: 'maybe' }), /EXAMPLE_APP_FAIL must be on or off/);
});

function interactiveJob(payload: Record<string, unknown>): SlackJobData {
  return {
    v: 1,
    type: 'interactive',
    envelope_id: 'env-2',
    payload: { team: { id: 'T0000001' }, user: { id: 'U0000001' }, api_app_id: 'A0000001', ...payload },
    accepts_response_payload: true,
    retry_attempt: 0,
    retry_reason: '',
    received_at: Date.now(),
    delivery: 'socket',
  };
}

function commandJob(text: string): SlackJobData {
  return {
    v: 1,
    type: 'slash_commands',
    envelope_id: 'env-3',
    payload: {
      command: '/echo',
      text,
      team_id: 'T0000001',
      channel_id: 'C0000001',
      user_id: 'U0000001',
      // Nothing listens on port 1: a respond() here rejects, which shows it was attempted.
      response_url: 'http://127.0.0.1:1/hooks/commands/T0000001/1/x',
      trigger_id: '1.2.3',
      api_app_id: 'A0000001',
    },
    accepts_response_payload: true,
    retry_attempt: 0,
    retry_reason: '',
    received_at: Date.now(),
    delivery: 'socket',
  };
}

const viewSubmission = (values: Record<string, Record<string, Record<string, unknown>>>) =>
  interactiveJob({ type: 'view_submission', view: { id: 'V1', type: 'modal', callback_id: EXAMPLE_MODAL_CALLBACK_ID, state: { values } } });

test('block_suggestion: the typed value comes back as the first option, then the fixed ones', async () => {
  const app = appWith({});
  const result = await app.dispatch(interactiveJob({ type: 'block_suggestion', action_id: 'any_action', block_id: 'b', value: 'abc' }), 'j');
  assert.deepEqual(result.ackResponse, {
    options: [
      { text: { type: 'plain_text', text: 'abc' }, value: 'abc' },
      { text: { type: 'plain_text', text: 'Option A' }, value: 'option-a' },
      { text: { type: 'plain_text', text: 'Option B' }, value: 'option-b' },
    ],
  });
  assert.deepEqual(suggestedOptions('  ').map((o) => o.value), ['option-a', 'option-b'], 'a blank value is no option');
});

test('view_submission: an empty or blank input gets response_action errors keyed by its block_id; a filled one a bare ack', async () => {
  const app = appWith({});
  const empty = await app.dispatch(viewSubmission({ [EXAMPLE_INPUT_BLOCK_ID]: { [EXAMPLE_INPUT_ACTION_ID]: { type: 'plain_text_input', value: null } } }), 'j');
  assert.deepEqual(empty.ackResponse, { response_action: 'errors', errors: { [EXAMPLE_INPUT_BLOCK_ID]: EMPTY_INPUT_ERROR } });
  const blank = await app.dispatch(viewSubmission({ other: { a: { type: 'plain_text_input', value: '   ' } }, filled: { b: { type: 'plain_text_input', value: 'x' } } }), 'j');
  assert.deepEqual(blank.ackResponse, { response_action: 'errors', errors: { other: EMPTY_INPUT_ERROR } });
  const filled = await app.dispatch(viewSubmission({ [EXAMPLE_INPUT_BLOCK_ID]: { [EXAMPLE_INPUT_ACTION_ID]: { type: 'plain_text_input', value: 'hello' } } }), 'j');
  assert.equal(filled.acked, true);
  assert.equal(filled.ackResponse, undefined, 'a bare ack closes the modal');
});

test("/echo now answers in the ack (no response_url call); other texts ack bare and answer through response_url as before", async () => {
  const app = appWith({});
  const now = await app.dispatch(commandJob('now'), 'j');
  assert.deepEqual(now.ackResponse, { response_type: 'ephemeral', text: 'Echo: now' });
  const acks: unknown[] = [];
  await assert.rejects(app.dispatch(commandJob('later'), 'j', { onAck: (r) => void acks.push(r) }), (err: FrameworkError) => err.code === 'ERR_RESPOND_REQUEST');
  assert.deepEqual(acks, [undefined], 'a bare ack first, then the response_url POST (refused here)');
});

test('the shortcut modal: callback_id example_modal, one plain_text_input block', () => {
  const modal = exampleModal();
  assert.equal(modal.type, 'modal');
  assert.equal(modal.callback_id, EXAMPLE_MODAL_CALLBACK_ID);
  assert.equal(modal.blocks.length, 1);
  assert.equal(modal.blocks[0]!.block_id, EXAMPLE_INPUT_BLOCK_ID);
  assert.equal(modal.blocks[0]!.element.type, 'plain_text_input');
  assert.equal(modal.blocks[0]!.element.action_id, EXAMPLE_INPUT_ACTION_ID);
});
