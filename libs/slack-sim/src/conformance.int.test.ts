// Conformance: the OFFICIAL @slack/socket-mode client (2.0.7) against the simulator. If the
// simulator drifts from what Slack's own client expects (URL shape, hello, envelopes, acks,
// disconnect handling), this fails. The client waits ~5 s before each reconnect, hence the long
// waits below.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SocketModeClient, LogLevel } from '@slack/socket-mode';
import { waitFor } from '@socketworks/testing';
import { SlackSim } from './slack-sim';
import { appMentionPayload, blockActionsPayload, slashCommandPayload, viewSubmissionPayload } from './payloads';
import { APP_TOKEN } from './test-helpers';
import type { AckRecord } from './types';

interface Received {
  type: string;
  envelope_id: string;
  body: Record<string, unknown>;
  retry_num?: number;
  retry_reason?: string;
  accepts_response_payload: boolean;
}

const RECONNECT_WAIT = { timeoutMs: 20000, intervalMs: 20 };

test('the official Socket Mode client connects, receives every kind, acks, and survives refresh and drop', { timeout: 90000 }, async (t) => {
  const sim = await SlackSim.start({ redeliveryTimeoutMs: 500 });
  t.after(() => sim.close());
  const client = new SocketModeClient({ appToken: APP_TOKEN, clientOptions: { slackApiUrl: sim.apiUrl }, logLevel: LogLevel.ERROR });
  t.after(() => client.disconnect());

  const received: Received[] = [];
  const ackFailures: unknown[] = [];
  client.on('slack_event', (event: Received & { ack: (body?: Record<string, unknown>) => Promise<void> }) => {
    received.push(event);
    const text = (event.body.event as { text?: string } | undefined)?.text ?? '';
    // The first delivery of this one is left unacked, to see Slack's retry fields through the client.
    if (text.endsWith('skip-once') && event.retry_num === 0) return;
    let reply: Record<string, unknown> | undefined;
    if (event.type === 'slash_commands') reply = { text: `ran ${String(event.body.command)}` };
    else if (event.body.type === 'view_submission') reply = { response_action: 'clear' };
    event.ack(reply).catch((err: unknown) => ackFailures.push(err));
  });
  const ackOf = (envelopeId: string, timeout = { timeoutMs: 5000, intervalMs: 10 }): Promise<AckRecord> =>
    waitFor(() => sim.acks().find((a) => a.envelopeId === envelopeId), { ...timeout, message: `ack of ${envelopeId}` });

  await client.start();
  const [first] = sim.sockets();
  assert.ok(first && first.helloAt !== null, 'start() resolved on our hello');
  const open = sim.apiCalls('apps.connections.open');
  assert.equal(open.length, 1);
  assert.equal(open[0]!.token, APP_TOKEN, 'the app token came as a Bearer header');

  // Every envelope kind, acked through the client's own ack().
  const event = sim.inject({ type: 'events_api', payload: appMentionPayload({ text: '<@U0000002> status' }) });
  const action = sim.inject({ type: 'interactive', payload: blockActionsPayload({ actions: [{ action_id: 'approve', value: '42' }] }) });
  const submission = sim.inject({ type: 'interactive', payload: viewSubmissionPayload({ callback_id: 'reason', values: { b: { a: { type: 'plain_text_input', value: 'x' } } } }) });
  const slash = sim.inject({ type: 'slash_commands', payload: slashCommandPayload({ command: '/deploy', text: 'api' }) });
  const acks = await Promise.all([event, action, submission, slash].map((r) => ackOf(r.envelopeId)));
  assert.ok(acks.every((a) => a.known && !a.duplicate && !a.crossSocket && a.socketId === first.id));
  assert.deepEqual(acks[0]!.payload, {}, 'the Node client always sends a payload key');
  assert.deepEqual(acks[2]!.payload, { response_action: 'clear' });
  assert.deepEqual(acks[3]!.payload, { text: 'ran /deploy' });
  const byEnvelope = new Map(received.map((r) => [r.envelope_id, r]));
  assert.equal(byEnvelope.get(event.envelopeId)!.type, 'events_api');
  assert.equal(byEnvelope.get(event.envelopeId)!.body.event_id, event.eventId);
  assert.equal(byEnvelope.get(event.envelopeId)!.retry_num, 0);
  assert.equal(byEnvelope.get(action.envelopeId)!.body.trigger_id, action.triggerId);
  assert.equal(byEnvelope.get(submission.envelopeId)!.accepts_response_payload, true);
  assert.equal(byEnvelope.get(slash.envelopeId)!.body.response_url, slash.responseUrl);

  // A redelivery reaches the client with retry_num / retry_reason.
  const skipped = sim.inject({ type: 'events_api', payload: appMentionPayload({ text: '<@U0000002> skip-once' }) });
  const retried = await waitFor(() => received.find((r) => r.body.event_id === skipped.eventId && r.retry_num === 1), { timeoutMs: 5000, intervalMs: 10 });
  assert.equal(retried.retry_reason, 'timeout');
  await ackOf(retried.envelope_id);

  // refresh_requested: the client closes and reconnects on its own with a fresh URL.
  assert.deepEqual(sim.refresh(), [first.id]);
  await waitFor(() => sim.sockets()[0]!.state === 'closed', { timeoutMs: 5000, intervalMs: 10, message: 'client closes the refreshed socket' });
  assert.equal(sim.sockets()[0]!.closeReason, 'refresh_requested');
  const second = await waitFor(() => sim.sockets().find((s) => s.id !== first.id && s.helloAt !== null && s.state === 'open'), RECONNECT_WAIT);
  const afterRefresh = sim.inject({ type: 'events_api', payload: appMentionPayload({ text: '<@U0000002> after refresh' }) });
  assert.equal((await ackOf(afterRefresh.envelopeId)).socketId, second.id);
  assert.equal(sim.apiCalls('apps.connections.open').length, 2);

  // Abrupt drop: the envelope injected meanwhile waits and reaches the reconnected client.
  assert.deepEqual(sim.drop(), [second.id]);
  await waitFor(() => sim.sockets().find((s) => s.id === second.id)!.state === 'closed', { timeoutMs: 5000, intervalMs: 10 });
  const duringDrop = sim.inject({ type: 'events_api', payload: appMentionPayload({ text: '<@U0000002> while away' }) });
  const third = await waitFor(() => sim.sockets().find((s) => s.id !== first.id && s.id !== second.id && s.helloAt !== null), RECONNECT_WAIT);
  const late = await ackOf(duringDrop.envelopeId, RECONNECT_WAIT);
  assert.equal(late.socketId, third.id);
  assert.equal(sim.deliveries().find((d) => d.envelopeId === duringDrop.envelopeId)!.waitedForSocket, true);

  assert.deepEqual(ackFailures, []);
  await client.disconnect();
  await waitFor(() => sim.stats().openSockets === 0, { timeoutMs: 5000, intervalMs: 10, message: 'client disconnect closes its socket' });
});
