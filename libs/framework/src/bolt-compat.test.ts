// What Bolt for JS code relies on beyond the names: event types Bolt knows (via @slack/types),
// `view.state` always there, `body.trigger_id` on actions, and — for the sync lane — `onAck`
// hearing the answer the moment `ack()` is called, not when the listener ends. Type checks run in
// `tsc` (lint); the end-to-end proof with Bolt-doc listeners is tools/e2e/src/bolt-compat.int.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TeamJoinEvent } from '@slack/types';
import { toJobData, type Envelope, type GenericEvent, type SlackJobData, type ViewState } from '@socketworks/protocol';
import { createLogger } from '@socketworks/runtime';
import { App } from './app';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

const quietApp = () => new App({ token: 'xoxb-0000000001-0000000001-boltcompatbolt', logger: createLogger({ name: 'test', level: 'silent' }) });

function job(type: Envelope['type'], payload: Record<string, unknown>): SlackJobData {
  return toJobData(
    { type, envelope_id: 'env-1', payload, accepts_response_payload: true, retry_attempt: 0, retry_reason: '' },
    { delivery: 'socket', receivedAt: Date.now() },
  );
}

const eventJob = (event: Record<string, unknown>) =>
  job('events_api', { type: 'event_callback', team_id: 'T0000001', api_app_id: 'A0000001', event_id: 'Ev1', event_time: 1, event });

test('event types our protocol does not model get the @slack/types type Bolt gives them; unknown ones stay generic', async () => {
  const app = quietApp();
  const seen: string[] = [];
  app.event('team_join', async ({ event }) => {
    const _t: Equal<typeof event, TeamJoinEvent> = true;
    seen.push(event.user.id);
  });
  app.event('some_future_event', async ({ event }) => {
    const _g: Equal<typeof event, GenericEvent & { type: 'some_future_event' }> = true;
    seen.push(event.type);
  });
  await app.dispatch(eventJob({ type: 'team_join', user: { id: 'U0000042' } }), 'j');
  await app.dispatch(eventJob({ type: 'some_future_event' }), 'j');
  assert.deepEqual(seen, ['U0000042', 'some_future_event']);
});

test('view listeners always get view.state (an empty one when the payload had none); actions get body.trigger_id', async () => {
  const app = quietApp();
  const states: ViewState[] = [];
  app.view('with_state', async ({ view, body }) => {
    states.push(view.state);
    assert.equal(body.view, view);
  });
  app.view('without_state', async ({ view, payload, body }) => {
    const _s: Equal<typeof view.state, ViewState> = true;
    states.push(view.state);
    assert.equal(payload, view);
    assert.equal(body.view.state, view.state);
  });
  let trigger = '';
  app.action('open', async ({ body }) => {
    const _t: Equal<typeof body.trigger_id, string> = true;
    trigger = body.trigger_id;
  });
  const base = { type: 'view_submission', user: { id: 'U1' }, team: { id: 'T1' } };
  await app.dispatch(job('interactive', { ...base, view: { id: 'V1', type: 'modal', callback_id: 'with_state', state: { values: { b: { a: { type: 'plain_text_input', value: 'x' } } } } } }), 'j');
  await app.dispatch(job('interactive', { ...base, view: { id: 'V2', type: 'modal', callback_id: 'without_state' } }), 'j');
  await app.dispatch(
    job('interactive', { type: 'block_actions', trigger_id: '1.2.3', user: { id: 'U1' }, team: { id: 'T1' }, actions: [{ type: 'button', action_id: 'open', block_id: 'b', action_ts: '1' }] }),
    'j',
  );
  assert.deepEqual(states, [{ values: { b: { a: { type: 'plain_text_input', value: 'x' } } } }, { values: {} }]);
  assert.equal(trigger, '1.2.3');
});

test('onAck hears the answer when ack() is called, while the listener is still running; dispatch waits for the listener', async () => {
  const app = quietApp();
  const order: string[] = [];
  let finish!: () => void;
  const listenerMayEnd = new Promise<void>((resolve) => {
    finish = resolve;
  });
  app.view('slow_after_ack', async ({ ack }) => {
    await ack({ response_action: 'clear' });
    order.push('acked');
    await listenerMayEnd;
    order.push('listener done');
  });
  let heard: unknown;
  const dispatched = app.dispatch(job('interactive', { type: 'view_submission', user: { id: 'U1' }, team: { id: 'T1' }, view: { id: 'V', type: 'modal', callback_id: 'slow_after_ack' } }), 'j', {
    onAck: (response) => {
      heard = response;
      order.push('onAck');
      // The listener is still running here: release it only now.
      setImmediate(finish);
    },
  });
  const result = await dispatched;
  assert.deepEqual(heard, { response_action: 'clear' });
  assert.deepEqual(order, ['onAck', 'acked', 'listener done']);
  assert.deepEqual(result.ackResponse, { response_action: 'clear' });
});
