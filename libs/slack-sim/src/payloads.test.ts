import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  appMentionPayload,
  blockActionsPayload,
  blockSuggestionPayload,
  globalShortcutPayload,
  messagePayload,
  messageShortcutPayload,
  slashCommandPayload,
  varyInjectInput,
  viewClosedPayload,
  viewSubmissionPayload,
  VERIFICATION_TOKEN,
} from './payloads';
import { fixture } from './test-helpers';

/** The fixture's keys (recursively, first array element) — what "shaped like the fixtures" means. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.length > 0 ? [shape(value[0])] : [];
  if (value && typeof value === 'object') return Object.fromEntries(Object.keys(value).sort().map((k) => [k, shape((value as Record<string, unknown>)[k])]));
  return value === null ? 'null' : typeof value;
}

const payloadOf = (name: string) => fixture(name).payload;

test('each factory matches the shape of its fixture', () => {
  const cases: Array<[string, unknown]> = [
    ['events_api_app_mention.json', appMentionPayload({ text: '<@U0000002> deploy status' })],
    ['events_api_message_im.json', messagePayload({ text: 'hello bot' })],
    ['slash_commands.json', slashCommandPayload({ command: '/deploy', text: 'api production' })],
    ['interactive_block_actions.json', blockActionsPayload({ actions: [{ action_id: 'deploy_approve', value: 'deploy-42', block_id: 'deploy_actions' }] })],
    ['interactive_block_suggestion.json', blockSuggestionPayload({ action_id: 'service_select', value: 'ap', block_id: 'service_block' })],
    [
      'interactive_view_submission.json',
      viewSubmissionPayload({ callback_id: 'deploy_reason_modal', values: { reason_block: { reason_input: { type: 'plain_text_input', value: 'x' } } }, privateMetadata: '{}' }),
    ],
    ['interactive_shortcut.json', globalShortcutPayload({ callback_id: 'open_deploy_modal' })],
    ['interactive_message_action.json', messageShortcutPayload({ callback_id: 'create_ticket_from_message' })],
  ];
  for (const [name, made] of cases) {
    assert.deepEqual(shape(made), shape(payloadOf(name)), name);
  }
});

test('factories put in the verification token and the values they were given', () => {
  const mention = appMentionPayload({ text: '<@U0000002> hi', channel: 'C0000009', user: 'U0000007', eventId: 'EvFIXED', ts: '1700000000.000001' });
  assert.equal(mention.token, VERIFICATION_TOKEN);
  assert.equal(mention.event_id, 'EvFIXED');
  assert.equal(mention.event_time, 1700000000);
  assert.deepEqual(
    [(mention.event as Record<string, unknown>).channel, (mention.event as Record<string, unknown>).user, (mention.event as Record<string, unknown>).ts],
    ['C0000009', 'U0000007', '1700000000.000001'],
  );
  const message = messagePayload({ text: 'x', channel: 'C0000003' });
  assert.equal((message.event as Record<string, unknown>).channel_type, 'channel');
  const slash = slashCommandPayload({ command: '/echo', text: 'a b', channelId: 'C0000002', userId: 'U0000009' });
  assert.deepEqual([slash.command, slash.text, slash.channel_id, slash.user_id, slash.token], ['/echo', 'a b', 'C0000002', 'U0000009', VERIFICATION_TOKEN]);
  const actions = blockActionsPayload({ actions: [{ action_id: 'a', value: '1' }, { action_id: 'b', type: 'static_select' }], channelId: 'C0000005' });
  assert.deepEqual((actions.actions as Array<Record<string, unknown>>).map((a) => [a.action_id, a.value, a.type]), [
    ['a', '1', 'button'],
    ['b', undefined, 'static_select'],
  ]);
  assert.equal((actions.channel as { id: string }).id, 'C0000005');
  const submission = viewSubmissionPayload({ callback_id: 'cb', values: { b: { a: { type: 'plain_text_input', value: 'v' } } }, privateMetadata: 'meta' });
  const view = submission.view as Record<string, unknown>;
  assert.deepEqual([view.callback_id, view.private_metadata, view.state], ['cb', 'meta', { values: { b: { a: { type: 'plain_text_input', value: 'v' } } } }]);
  const closed = viewClosedPayload({ callback_id: 'cb', isCleared: true });
  assert.deepEqual([closed.type, closed.is_cleared, 'trigger_id' in closed], ['view_closed', true, false]);
  assert.equal('response_url' in globalShortcutPayload({ callback_id: 'x' }), false);
});

test('ids are unique per call and ts strictly increases', () => {
  const made = Array.from({ length: 500 }, () => appMentionPayload({ text: 'x' }));
  assert.equal(new Set(made.map((p) => p.event_id)).size, 500);
  assert.ok(made.every((p) => /^Ev[0-9A-Z]{10}$/.test(p.event_id as string)));
  const ts = made.map((p) => Number((p.event as { ts: string }).ts));
  for (let i = 1; i < ts.length; i++) assert.ok(ts[i]! > ts[i - 1]!, `ts ${i}`);
  const triggers = Array.from({ length: 100 }, () => slashCommandPayload({ command: '/x', text: '' }).trigger_id);
  assert.equal(new Set(triggers).size, 100);
});

test('varyInjectInput makes event copies unique without touching the template', () => {
  const template = { type: 'events_api' as const, payload: appMentionPayload({ text: 'load' }) };
  const before = JSON.stringify(template);
  const a = varyInjectInput(template, 0).payload as { event_id: string; event: { text: string; ts: string } };
  const b = varyInjectInput(template, 1).payload as { event_id: string; event: { text: string; ts: string } };
  assert.equal(JSON.stringify(template), before);
  assert.notEqual(a.event_id, b.event_id);
  assert.notEqual(a.event.ts, b.event.ts);
  assert.deepEqual([a.event.text, b.event.text], ['load #0', 'load #1']);
  const interactive = varyInjectInput({ type: 'interactive', payload: blockActionsPayload({ actions: [{ action_id: 'a' }] }) }, 3);
  assert.equal(interactive.type, 'interactive');
});
