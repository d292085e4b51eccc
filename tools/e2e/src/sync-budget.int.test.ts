// The sync lane's budget with real processes: a slow events handler with a backlog does not
// delay interactive answers (they have their own queue), and a listener that acks after the
// budget gets a bare ack, counted and logged as late on both sides. The app is sync-test-app.ts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { appMentionPayload, blockSuggestionPayload, SlackSim, slashCommandPayload, viewSubmissionPayload, type AckRecord } from '@socketworks/slack-sim';
import { opsPort, scrapeSample, uniquePrefix, waitFor, type ServiceProcess } from '@socketworks/testing';
import { startE2eStack, type E2eStack } from './stack';

const BUDGET_MS = 500;
const EVENT_DELAY_MS = 2000;
let stack: E2eStack;
let sim: SlackSim;
let connector: ServiceProcess;
let worker: ServiceProcess;
let redisUrl: string;
const queuePrefix = uniquePrefix('sync-budget');

before(async () => {
  stack = await startE2eStack({
    queuePrefix,
    sim: { redeliveryTimeoutMs: 10000 },
    workerEnv: {
      APP_MODULE: join(__dirname, '../dist/sync-test-app.js'),
      E2E_EVENT_DELAY_MS: String(EVENT_DELAY_MS),
      E2E_LATE_ACK_MS: String(BUDGET_MS + 700),
      WORKER_QUEUES: 'events:1,sync:4',
      METRICS_HOST: '127.0.0.1',
    },
    connectorEnv: { SYNC_ACK_BUDGET_MS: String(BUDGET_MS), METRICS_HOST: '127.0.0.1' },
    // SIGKILL for the worker: its events backlog would otherwise run a slow mention to the end.
    workerStopSignal: 'SIGKILL',
  });
  ({ sim, connector, worker, redisUrl } = stack);
});

after(() => stack?.stop());

const ackOf = (envelopeId: string): Promise<AckRecord> => waitFor(() => sim.acks().find((a) => a.envelopeId === envelopeId), { timeoutMs: 5000, message: `the ack of ${envelopeId}` });

const metric = async (proc: ServiceProcess, name: string, labels: Record<string, string> = {}) => scrapeSample(`http://127.0.0.1:${await opsPort(proc)}/metrics`, name, labels);

async function eventsWaiting(): Promise<number> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue('events', { connection, prefix: `{${queuePrefix}}` });
  try {
    return (await queue.getJobCounts('waiting')).waiting ?? 0;
  } finally {
    await queue.close();
    connection.disconnect();
  }
}

test('a backlog of slow events (2 s each, concurrency 1) does not delay interactive answers', { timeout: 40000 }, async (t) => {
  const mentions = Array.from({ length: 10 }, (_, i) => sim.inject({ type: 'events_api', payload: appMentionPayload({ text: `<@U0000002> slow ${i}` }) }));
  await waitFor(async () => ((await eventsWaiting()) >= 8 ? true : undefined), { message: 'an events backlog' });

  const injected: Array<{ envelopeId: string; expected: Record<string, unknown> }> = [];
  for (let i = 0; i < 10; i++) {
    injected.push({
      envelopeId: sim.inject({ type: 'interactive', payload: blockSuggestionPayload({ action_id: 'fruit', value: `f${i}` }) }).envelopeId,
      expected: { options: [{ text: { type: 'plain_text', text: `f${i}` }, value: `f${i}` }] },
    });
    injected.push({
      envelopeId: sim.inject({ type: 'interactive', payload: viewSubmissionPayload({ callback_id: 'form', values: {} }) }).envelopeId,
      expected: { response_action: 'errors', errors: { b1: 'Required' } },
    });
    injected.push({
      envelopeId: sim.inject({ type: 'slash_commands', payload: slashCommandPayload({ command: '/now', text: `${i}` }) }).envelopeId,
      expected: { text: `now: ${i}` },
    });
    await new Promise((resolve) => setTimeout(resolve, 100)); // spread over ~1 s, while the backlog runs
  }
  const latencies: number[] = [];
  for (const { envelopeId, expected } of injected) {
    const ack = await ackOf(envelopeId);
    assert.deepEqual(ack.payload, expected);
    assert.ok(ack.latencyMs! < BUDGET_MS, `answered within the ${BUDGET_MS} ms budget (${ack.latencyMs} ms)`);
    latencies.push(ack.latencyMs!);
  }
  // The backlog was real: the mentions are still far from done.
  const done = worker.logs.filter((l) => l.msg === 'e2e app: slow mention done').length;
  assert.ok(done <= 2, `${done} slow mentions finished while 30 interactive answers went through`);
  assert.ok(mentions.every((m) => sim.acks().some((a) => a.envelopeId === m.envelopeId)), 'the mentions themselves were acked at once');
  latencies.sort((a, b) => a - b);
  t.diagnostic(`with ${await eventsWaiting()} slow events still queued: sync ack latency p50 ${latencies[Math.floor(latencies.length / 2)]!.toFixed(1)} ms, max ${latencies[latencies.length - 1]!.toFixed(1)} ms (n=${latencies.length})`);
  assert.equal(await metric(connector, 'socketworks_connector_sync_answers_total', { outcome: 'late' }), 0);
});

test('a listener that acks after the budget: a bare ack at the budget, counted and logged as late by connector and worker', { timeout: 20000 }, async () => {
  const late = sim.inject({ type: 'interactive', payload: viewSubmissionPayload({ callback_id: 'late_form', values: {} }) });
  const ack = await ackOf(late.envelopeId);
  assert.equal(ack.payload, undefined, 'a bare ack');
  assert.ok(ack.latencyMs! >= BUDGET_MS - 20 && ack.latencyMs! < BUDGET_MS + 500, `acked at the budget (${ack.latencyMs} ms)`);
  const line = await connector.waitForLog((l) => l.envelope_id === late.envelopeId && /acked after the budget/.test(String(l.msg)), { timeoutMs: 5000 });
  assert.equal(line.level, 'warn');
  assert.ok(Number(line.late_by_ms) > 0);
  assert.ok(connector.logs.some((l) => l.envelope_id === late.envelopeId && /no answer within the budget/.test(String(l.msg))));
  assert.equal(await metric(connector, 'socketworks_connector_sync_answers_total', { outcome: 'late' }), 1);
  assert.equal(await metric(connector, 'socketworks_connector_sync_late_acks_total'), 1);
  await waitFor(async () => ((await metric(worker, 'socketworks_worker_sync_acks_total', { outcome: 'late' })) === 1 ? true : undefined), {
    message: 'the worker to count the late ack',
  });
  assert.equal(sim.acks().filter((a) => a.envelopeId === late.envelopeId).length, 1, 'acked once');
});
