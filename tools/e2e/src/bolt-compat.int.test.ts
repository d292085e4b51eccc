// A handler written for Bolt for JS moves over by changing its import: the listeners of
// bolt-listeners.ts (written as Bolt's documentation writes them) run unchanged in a real worker
// process behind a real connector process, against the simulator. Ack answers are read from the
// simulator's recorded acks, Web API calls and response_url posts from its records.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  appMentionPayload,
  blockActionsPayload,
  blockSuggestionPayload,
  globalShortcutPayload,
  messagePayload,
  SlackSim,
  slashCommandPayload,
  viewSubmissionPayload,
  type AckRecord,
  type ApiCall,
} from '@socketworks/slack-sim';
import { uniquePrefix, waitFor } from '@socketworks/testing';
import { startE2eStack, type E2eStack } from './stack';

let stack: E2eStack;
let sim: SlackSim;
const queuePrefix = uniquePrefix('bolt-compat');

before(async () => {
  // The built listener module (tools/e2e builds src/bolt-listeners.ts before its tests run).
  stack = await startE2eStack({ queuePrefix, sockets: 1, workerEnv: { APP_MODULE: join(__dirname, '../dist/bolt-listeners.js') } });
  ({ sim } = stack);
});

after(() => stack?.stop());

const ackOf = (envelopeId: string): Promise<AckRecord> => waitFor(() => sim.acks().find((a) => a.envelopeId === envelopeId), { timeoutMs: 5000, message: `the ack of ${envelopeId}` });
const apiCall = (method: string, match: (c: ApiCall) => boolean): Promise<ApiCall> =>
  waitFor(() => sim.apiCalls(method).find(match), { timeoutMs: 5000, message: `a ${method} call` });

test("app.message('hello') says hello back in the message's channel", { timeout: 20000 }, async () => {
  sim.inject({ type: 'events_api', payload: messagePayload({ text: `hello from ${queuePrefix}`, channel: 'C0000011', user: 'U0000077' }) });
  const call = await apiCall('chat.postMessage', (c) => c.args.channel === 'C0000011');
  assert.equal(call.ok, true);
  assert.equal(call.args.text, 'Hey there <@U0000077>!');
});

test("app.event('team_join') welcomes the new user by event.user.id in the welcome channel", { timeout: 20000 }, async () => {
  const base = appMentionPayload({ text: 'unused' });
  const event = { type: 'team_join', user: { id: 'U0000042', name: 'new.person', team_id: 'T0000001' }, event_ts: '1700000000.000200', cache_ts: 1700000000 };
  sim.inject({ type: 'events_api', payload: { ...base, event } });
  const call = await apiCall('chat.postMessage', (c) => c.args.channel === 'C0000099');
  assert.equal(call.ok, true);
  assert.match(String(call.args.text), /^Welcome to the team, <@U0000042>!/);
});

test('app.command: ack() then respond() through response_url; ack(string) and ack(object) are the immediate reply', { timeout: 20000 }, async () => {
  const ticket = sim.inject({ type: 'slash_commands', payload: slashCommandPayload({ command: '/ticket', text: 'printer on fire' }) });
  const hello = sim.inject({ type: 'slash_commands', payload: slashCommandPayload({ command: '/hello', text: '' }) });
  const status = sim.inject({ type: 'slash_commands', payload: slashCommandPayload({ command: '/status', text: '' }) });
  assert.equal((await ackOf(ticket.envelopeId)).payload, undefined);
  const posted = await waitFor(() => sim.responseUrlCalls().find((c) => c.originEnvelopeId === ticket.envelopeId), { message: 'the /ticket response' });
  assert.equal(posted.status, 200);
  assert.equal(posted.body.text, 'Ticket received: printer on fire');
  assert.deepEqual((await ackOf(hello.envelopeId)).payload, { text: 'Hello, <@U0000001>!' }, 'a string ack becomes { text }');
  assert.deepEqual((await ackOf(status.envelopeId)).payload, { response_type: 'in_channel', text: 'All systems go' });
});

test("app.action: approve_button says so in the message's channel; button_click opens a modal with body.trigger_id", { timeout: 20000 }, async () => {
  const approve = sim.inject({ type: 'interactive', payload: blockActionsPayload({ actions: [{ action_id: 'approve_button', value: 'ok' }], channelId: 'C0000012' }) });
  const click = sim.inject({ type: 'interactive', payload: blockActionsPayload({ actions: [{ action_id: 'button_click', value: 'open' }] }) });
  assert.equal((await ackOf(approve.envelopeId)).payload, undefined);
  const post = await apiCall('chat.postMessage', (c) => c.args.text === 'Request approved 👍');
  assert.equal(post.ok, true, post.error);
  assert.equal(post.args.channel, 'C0000012');
  const open = await apiCall('views.open', (c) => c.args.trigger_id === click.triggerId);
  assert.equal(open.ok, true, open.error);
  assert.equal((open.args.view as { callback_id: string }).callback_id, 'view_1');
});

test('app.view: errors keyed by block_id, a bare ack then a message, update, push and clear — all in the ack', { timeout: 20000 }, async () => {
  const input = (value: string | null) => ({ input_c: { dreamy_input: { type: 'plain_text_input', value } } });
  const short = sim.inject({ type: 'interactive', payload: viewSubmissionPayload({ callback_id: 'view_1', values: input('sky') }) });
  const long = sim.inject({ type: 'interactive', payload: viewSubmissionPayload({ callback_id: 'view_1', values: input(`to fly over ${queuePrefix}`) }) });
  const update = sim.inject({ type: 'interactive', payload: viewSubmissionPayload({ callback_id: 'view_update', values: {} }) });
  const push = sim.inject({ type: 'interactive', payload: viewSubmissionPayload({ callback_id: 'view_push', values: {} }) });
  const clear = sim.inject({ type: 'interactive', payload: viewSubmissionPayload({ callback_id: 'view_clear', values: {} }) });
  assert.deepEqual((await ackOf(short.envelopeId)).payload, { response_action: 'errors', errors: { input_c: 'Please dream a little longer' } });
  const longAck = await ackOf(long.envelopeId);
  assert.equal(longAck.payload, undefined);
  const post = await apiCall('chat.postMessage', (c) => String(c.args.text).includes(`to fly over ${queuePrefix}`));
  assert.equal(post.ok, true, post.error);
  assert.equal(post.args.channel, 'C0000098');
  assert.match(String(post.args.text), /^<@U0000001>: your submission was successful/);
  const updated = (await ackOf(update.envelopeId)).payload as { response_action: string; view: { callback_id: string; blocks: unknown[] } };
  assert.equal(updated.response_action, 'update');
  assert.equal(updated.view.callback_id, 'view_next');
  assert.deepEqual(updated.view.blocks, [{ type: 'section', text: { type: 'mrkdwn', text: 'Thanks, U0000001' } }]);
  const pushed = (await ackOf(push.envelopeId)).payload as { response_action: string; view: { type: string } };
  assert.equal(pushed.response_action, 'push');
  assert.equal(pushed.view.type, 'modal');
  assert.deepEqual((await ackOf(clear.envelopeId)).payload, { response_action: 'clear' });
});

test('app.options: the matching options in the ack; nothing typed, a bare ack', { timeout: 20000 }, async () => {
  const typed = sim.inject({ type: 'interactive', payload: blockSuggestionPayload({ action_id: 'external_action', value: 'ba' }) });
  assert.deepEqual((await ackOf(typed.envelopeId)).payload, { options: [{ text: { type: 'plain_text', text: 'Banana' }, value: 'banana' }] });
  const empty = sim.inject({ type: 'interactive', payload: blockSuggestionPayload({ action_id: 'external_action', value: '' }) });
  const bare = await ackOf(empty.envelopeId);
  assert.equal(bare.payload, undefined);
  assert.ok(bare.latencyMs! < 1500, `answered (bare), not waited out: ${bare.latencyMs} ms`);
});

test("app.shortcut('open_modal'): ack, then views.open with the shortcut's trigger_id", { timeout: 20000 }, async () => {
  const shortcut = sim.inject({ type: 'interactive', payload: globalShortcutPayload({ callback_id: 'open_modal' }) });
  assert.equal((await ackOf(shortcut.envelopeId)).payload, undefined);
  const open = await apiCall('views.open', (c) => c.args.trigger_id === shortcut.triggerId);
  assert.equal(open.ok, true, open.error);
  assert.deepEqual((open.args.view as { title: unknown }).title, { type: 'plain_text', text: 'My App' });
  const errors = stack.worker.logs.filter((l) => l.level === 'error');
  assert.deepEqual(errors, [], 'no listener logged an error');
});
