// The sync lane end to end: the simulator → connector process → `sync` queue → worker process
// running the bundled example app → the listener's ack(answer) published back → the connector's
// ack frame carries it. Every answer is read from the simulator's recorded acks.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  blockSuggestionPayload,
  globalShortcutPayload,
  SlackSim,
  slashCommandPayload,
  viewSubmissionPayload,
  type AckRecord,
} from '@socketworks/slack-sim';
import { opsPort, scrapeSample, uniquePrefix, waitFor, type ServiceProcess } from '@socketworks/testing';
import { startE2eStack, type E2eStack } from './stack';

let stack: E2eStack;
let sim: SlackSim;
let connector: ServiceProcess;
const queuePrefix = uniquePrefix('sync-e2e');

before(async () => {
  // Default WORKER_QUEUES (sync included) and the default app: the bundled example app.
  stack = await startE2eStack({ queuePrefix, workerEnv: { METRICS_HOST: '127.0.0.1' }, connectorEnv: { METRICS_HOST: '127.0.0.1' } });
  ({ sim, connector } = stack);
});

after(() => stack?.stop());

const ackOf = (envelopeId: string): Promise<AckRecord> => waitFor(() => sim.acks().find((a) => a.envelopeId === envelopeId), { timeoutMs: 5000, message: `the ack of ${envelopeId}` });

const emptyInput = { example_input: { example_text: { type: 'plain_text_input', value: null } } };

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const connectorMetric = async (name: string, labels: Record<string, string>) => scrapeSample(`http://127.0.0.1:${await opsPort(connector)}/metrics`, name, labels);

test('the example app answers inside the ack: options, errors keyed by block_id, /echo now', { timeout: 30000 }, async () => {
  const options = sim.inject({ type: 'interactive', payload: blockSuggestionPayload({ action_id: 'pick', value: 'kiwi' }) });
  const invalid = sim.inject({ type: 'interactive', payload: viewSubmissionPayload({ callback_id: 'example_modal', values: emptyInput }) });
  const valid = sim.inject({
    type: 'interactive',
    payload: viewSubmissionPayload({ callback_id: 'example_modal', values: { example_input: { example_text: { type: 'plain_text_input', value: 'hi' } } } }),
  });
  const now = sim.inject({ type: 'slash_commands', payload: slashCommandPayload({ command: '/echo', text: 'now' }) });

  assert.deepEqual((await ackOf(options.envelopeId)).payload, {
    options: [
      { text: { type: 'plain_text', text: 'kiwi' }, value: 'kiwi' },
      { text: { type: 'plain_text', text: 'Option A' }, value: 'option-a' },
      { text: { type: 'plain_text', text: 'Option B' }, value: 'option-b' },
    ],
  });
  assert.deepEqual((await ackOf(invalid.envelopeId)).payload, { response_action: 'errors', errors: { example_input: 'Please fill this in.' } });
  const validAck = await ackOf(valid.envelopeId);
  assert.equal(validAck.payload, undefined, 'a valid submission gets a bare ack (the modal closes)');
  assert.ok(validAck.latencyMs! < 1500, `answered, not waited out (${validAck.latencyMs} ms)`);
  assert.deepEqual((await ackOf(now.envelopeId)).payload, { response_type: 'ephemeral', text: 'Echo: now' });
  for (const id of [options.envelopeId, invalid.envelopeId, valid.envelopeId, now.envelopeId]) {
    const ack = sim.acks().find((a) => a.envelopeId === id)!;
    assert.ok(ack.latencyMs! < 2000, `within the 2 s budget (${ack.latencyMs} ms)`);
  }

  // Any other /echo text still answers through response_url, after a bare ack.
  const later = sim.inject({ type: 'slash_commands', payload: slashCommandPayload({ command: '/echo', text: `later ${queuePrefix}` }) });
  const laterAck = await ackOf(later.envelopeId);
  assert.equal(laterAck.payload, undefined);
  const posted = await waitFor(() => sim.responseUrlCalls().find((c) => c.originEnvelopeId === later.envelopeId), { message: 'the /echo response_url call' });
  assert.equal(posted.body.text, `Echo: later ${queuePrefix}`);
  assert.equal(sim.responseUrlCalls().filter((c) => c.originEnvelopeId === now.envelopeId).length, 0, '/echo now posted nothing to its response_url');
  assert.equal(await connectorMetric('socketworks_connector_sync_answers_total', { outcome: 'in_time' }), 5);
});

test('a global shortcut: bare ack at once, then views.open with the example modal, inside the trigger_id lifetime', { timeout: 30000 }, async () => {
  const shortcut = sim.inject({ type: 'interactive', payload: globalShortcutPayload({ callback_id: 'anything' }) });
  const ack = await ackOf(shortcut.envelopeId);
  assert.equal(ack.payload, undefined);
  assert.ok(ack.latencyMs! < 500, `acked right after the enqueue (${ack.latencyMs} ms)`);
  const call = await waitFor(() => sim.apiCalls('views.open').find((c) => c.args.trigger_id === shortcut.triggerId), { message: 'views.open' });
  assert.equal(call.ok, true, call.error);
  const view = call.args.view as { callback_id: string; blocks: Array<{ block_id: string; element: { type: string } }> };
  assert.equal(view.callback_id, 'example_modal');
  assert.deepEqual(view.blocks.map((b) => [b.block_id, b.element.type]), [['example_input', 'plain_text_input']]);
  const sentAt = sim.deliveries().find((d) => d.envelopeId === shortcut.envelopeId)!.sentAt!;
  assert.ok(call.at - sentAt < 3000, `views.open ${Math.round(call.at - sentAt)} ms after delivery`);
});

test('sync ack latency with an answer, 100 options loads at 20/s: every answer in time', { timeout: 30000 }, async (t) => {
  const result = await sim.injectStream({
    count: 100,
    ratePerSecond: 20,
    make: (i) => ({ type: 'interactive', payload: blockSuggestionPayload({ action_id: 'pick', value: `v${i}` }) }),
  });
  const ids = new Set(result.envelopeIds);
  const acks = await waitFor(() => {
    const found = sim.acks().filter((a) => ids.has(a.envelopeId));
    return found.length >= 100 ? found : undefined;
  }, { timeoutMs: 10000, message: '100 acks' });
  for (const ack of acks) {
    const first = (ack.payload as { options?: Array<{ value: string }> } | undefined)?.options?.[0]?.value;
    assert.match(String(first), /^v\d+$/, 'the answer is in the ack');
  }
  const latencies = acks.map((a) => a.latencyMs!).sort((a, b) => a - b);
  const [p50, p99, max] = [percentile(latencies, 50), percentile(latencies, 99), latencies[latencies.length - 1]!];
  t.diagnostic(`sync ack latency (delivery → ack with the handler's answer), n=100 at 20/s: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${max.toFixed(1)} ms`);
  assert.ok(max < 2000, `every answer within the budget (max ${max.toFixed(1)} ms)`);
});
