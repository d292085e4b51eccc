// The connector's half of the sync lane against the simulator and a real Redis. The worker's half
// is stood in for by a BullMQ Worker in this file that speaks the protocol contract (a
// `SyncReply` published on the job's `reply_to`), so each outcome can be produced at will; the
// real worker + connector processes are exercised in tools/e2e.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { bullPrefix, parseJobData, type SlackJobData, type SyncReply } from '@socketworks/protocol';
import { blockActionsPayload, blockSuggestionPayload, globalShortcutPayload, slashCommandPayload, viewSubmissionPayload } from '@socketworks/slack-sim';
import { startPrivateRedis, waitFor } from '@socketworks/testing';
import { histogramCount, metricValue } from '../test-support/log-capture';
import { startHarness, type Harness } from '../test-support/harness';

type Behaviour = (data: SlackJobData, publish: (reply: Omit<SyncReply, 'v' | 'envelope_id'>) => Promise<void>) => Promise<void>;

interface StandIn {
  jobs: SlackJobData[];
  close(): Promise<void>;
}

const closers: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function harness(env: Record<string, string> = {}, redisUrl?: string): Promise<Harness> {
  const h = await startHarness({ name: 'sync', env: { SLACK_CONNECTIONS: '1', ...env }, ...(redisUrl ? { redisUrl } : {}) });
  closers.push(() => h.close());
  return h;
}

/** A stand-in worker on the sync queue: runs `behaviour` per job, publishing replies as the worker does. */
async function standInWorker(h: Harness, behaviour: Behaviour, concurrency = 8): Promise<StandIn> {
  const connection = new Redis(h.redisUrl, { maxRetriesPerRequest: null });
  const publisher = new Redis(h.redisUrl);
  publisher.on('error', (err) => assert.fail(`publisher: ${err.message}`));
  const jobs: SlackJobData[] = [];
  const worker = new Worker(
    'sync',
    async (job: Job) => {
      const data = parseJobData(job.data);
      jobs.push(data);
      await behaviour(data, async (reply) => {
        if (!data.reply_to) return;
        await publisher.publish(data.reply_to, JSON.stringify({ v: 1, envelope_id: data.envelope_id, ...reply }));
      });
    },
    { connection, prefix: bullPrefix(h.prefix), concurrency },
  );
  worker.on('error', (err) => assert.fail(`stand-in worker: ${err.message}`));
  await worker.waitUntilReady();
  const standIn = {
    jobs,
    close: async () => {
      await worker.close();
      connection.disconnect();
      publisher.disconnect();
    },
  };
  closers.push(standIn.close);
  return standIn;
}

const ackOf = (h: Harness, envelopeId: string) => waitFor(() => h.sim.acks().find((a) => a.envelopeId === envelopeId), { message: `the ack of ${envelopeId}` });

test('answers arrive in the ack payload: options, errors, update, push, clear, a command reply', { timeout: 30000 }, async (t) => {
  const h = await harness();
  const answers = new Map<string, Record<string, unknown>>();
  await standInWorker(h, async (data, publish) => {
    await publish({ acked: true, payload: answers.get(data.envelope_id)! });
  });
  const view = { type: 'modal', title: { type: 'plain_text', text: 'Next' }, blocks: [] };
  const cases: Array<[ReturnType<Harness['sim']['inject']>, Record<string, unknown>]> = [
    [h.sim.inject({ type: 'interactive', payload: blockSuggestionPayload({ action_id: 'ext', value: 'ab' }) }), { options: [{ text: { type: 'plain_text', text: 'ab' }, value: 'ab' }] }],
    [h.sim.inject({ type: 'interactive', payload: viewSubmissionPayload({ callback_id: 'f', values: {} }) }), { response_action: 'errors', errors: { b1: 'Required' } }],
    [h.sim.inject({ type: 'interactive', payload: viewSubmissionPayload({ callback_id: 'f', values: {} }) }), { response_action: 'update', view }],
    [h.sim.inject({ type: 'interactive', payload: viewSubmissionPayload({ callback_id: 'f', values: {} }) }), { response_action: 'push', view }],
    [h.sim.inject({ type: 'interactive', payload: viewSubmissionPayload({ callback_id: 'f', values: {} }) }), { response_action: 'clear' }],
    [h.sim.inject({ type: 'slash_commands', payload: slashCommandPayload({ command: '/x', text: 'now' }) }), { response_type: 'in_channel', text: 'now!' }],
  ];
  // Registered after inject: the stand-in reads it only once the job exists, well after this line.
  for (const [injected, answer] of cases) answers.set(injected.envelopeId, answer);
  const latencies: number[] = [];
  for (const [injected, answer] of cases) {
    const ack = await ackOf(h, injected.envelopeId);
    assert.deepEqual(ack.payload, answer);
    assert.ok(ack.latencyMs! < 2000, `answered within the budget (${ack.latencyMs} ms)`);
    latencies.push(ack.latencyMs!);
  }
  assert.equal(await metricValue(h.connector.registry, 'socketworks_connector_sync_answers_total', { outcome: 'in_time' }), cases.length);
  // The ack latency histogram keeps these waits apart from acks that follow the enqueue.
  const acks = (labels: Record<string, string>) => histogramCount(h.connector.registry, 'socketworks_connector_ack_latency_seconds', labels);
  assert.equal(await acks({ type: 'interactive', awaited: 'true' }), 5);
  assert.equal(await acks({ type: 'slash_commands', awaited: 'true' }), 1);
  assert.equal(await acks({ awaited: 'false' }), 0);
  t.diagnostic(`sim-observed ack latency with an answer through Redis (stand-in worker): ${latencies.map((l) => l.toFixed(1)).join(', ')} ms`);
});

test('a handler that finishes without ack gets a bare ack at once, not after the budget', { timeout: 20000 }, async () => {
  const h = await harness();
  await standInWorker(h, async (_data, publish) => publish({ acked: false }));
  const injected = h.sim.inject({ type: 'interactive', payload: viewSubmissionPayload({ callback_id: 'f', values: {} }) });
  const ack = await ackOf(h, injected.envelopeId);
  assert.equal(ack.payload, undefined);
  assert.ok(ack.latencyMs! < 1000, `acked in ${ack.latencyMs} ms`);
  assert.equal(await metricValue(h.connector.registry, 'socketworks_connector_sync_answers_total', { outcome: 'none' }), 1);
});

test('past the budget: a bare ack, counted late; the late ack() is logged as late', { timeout: 20000 }, async () => {
  const h = await harness({ SYNC_ACK_BUDGET_MS: '300' });
  await standInWorker(h, async (_data, publish) => {
    await new Promise((resolve) => setTimeout(resolve, 700)); // a listener slower than the budget
    await publish({ acked: true, payload: { response_action: 'errors', errors: { b: 'too late' } } });
  });
  const injected = h.sim.inject({ type: 'interactive', payload: viewSubmissionPayload({ callback_id: 'f', values: {} }) });
  const ack = await ackOf(h, injected.envelopeId);
  assert.equal(ack.payload, undefined, 'bare');
  assert.ok(ack.latencyMs! >= 280 && ack.latencyMs! < 700, `acked at the budget (${ack.latencyMs} ms)`);
  assert.equal(await metricValue(h.connector.registry, 'socketworks_connector_sync_answers_total', { outcome: 'late' }), 1);
  const late = await waitFor(() => h.logs.lines.find((l) => l.envelope_id === injected.envelopeId && /acked after the budget/.test(String(l.msg))), {
    message: 'the late ack log line',
  });
  assert.equal(late.level, 'warn');
  assert.ok(Number(late.late_by_ms) >= 200, `late by ${String(late.late_by_ms)} ms`);
  assert.equal(await metricValue(h.connector.registry, 'socketworks_connector_sync_late_acks_total'), 1);
  assert.ok(h.logs.lines.some((l) => l.envelope_id === injected.envelopeId && l.level === 'warn' && /no answer within the budget/.test(String(l.msg))));
  assert.equal(h.sim.acks().filter((a) => a.envelopeId === injected.envelopeId).length, 1, 'acked once');
});

test('trigger_id kinds and answers Slack would not read go to the sync queue without waiting', { timeout: 20000 }, async () => {
  const h = await harness();
  const standIn = await standInWorker(h, async () => {
    await new Promise((resolve) => setTimeout(resolve, 1500)); // would show in the ack latency if awaited
  });
  const injected = [
    h.sim.inject({ type: 'interactive', payload: globalShortcutPayload({ callback_id: 'open' }) }),
    h.sim.inject({ type: 'interactive', payload: blockActionsPayload({ actions: [{ action_id: 'a', value: 'v' }] }), acceptsResponsePayload: true }),
    h.sim.inject({ type: 'slash_commands', payload: slashCommandPayload({ command: '/x', text: 'y' }), acceptsResponsePayload: false }),
  ];
  for (const i of injected) {
    const ack = await ackOf(h, i.envelopeId);
    assert.equal(ack.payload, undefined);
    assert.ok(ack.latencyMs! < 500, `acked right after the enqueue (${ack.latencyMs} ms)`);
  }
  await waitFor(() => standIn.jobs.length >= 3, { message: 'three sync jobs' });
  assert.ok(standIn.jobs.every((j) => j.reply_to === undefined && j.reply_by === undefined), 'nobody waits: no reply channel in the job');
  const shortcutJob = standIn.jobs.find((j) => j.envelope_id === injected[0]!.envelopeId)!;
  assert.equal(typeof shortcutJob.payload.trigger_id, 'string');
  assert.equal(await metricValue(h.connector.registry, 'socketworks_connector_sync_answers_total'), 0);
  const acks = (labels: Record<string, string>) => histogramCount(h.connector.registry, 'socketworks_connector_ack_latency_seconds', labels);
  assert.equal(await acks({ type: 'interactive', awaited: 'false' }), 2);
  assert.equal(await acks({ type: 'slash_commands', awaited: 'false' }), 1);
  assert.equal(await acks({ awaited: 'true' }), 0);
});

test('in the sync queue a held ack runs first: jobs already acked bare wait behind it', { timeout: 30000 }, async () => {
  const h = await harness();
  // Five clicks (trigger_id kinds, acked bare at once) queue up with no worker running…
  const clicks = Array.from({ length: 5 }, (_, i) => h.sim.inject({ type: 'interactive', payload: blockActionsPayload({ actions: [{ action_id: `a${i}`, value: 'v' }] }) }));
  for (const click of clicks) assert.equal((await ackOf(h, click.envelopeId)).payload, undefined);
  // …then a slash command whose ack waits for the answer.
  const command = h.sim.inject({ type: 'slash_commands', payload: slashCommandPayload({ command: '/x', text: 'y' }) });
  const queue = new Queue('sync', { connection: new Redis(h.redisUrl, { maxRetriesPerRequest: null }), prefix: bullPrefix(h.prefix) });
  closers.push(async () => {
    await queue.close();
    (await queue.client).disconnect();
  });
  await waitFor(async () => (await queue.getJobCounts('wait')).wait === 1, { message: 'the command job in the wait list' });
  assert.equal((await queue.getJobCounts('prioritized')).prioritized, 5, 'the clicks wait in the prioritized set');
  // One worker slot, 600 ms a job: behind five clicks the command would miss the 2 s budget.
  const standIn = await standInWorker(
    h,
    async (data, publish) => {
      await new Promise((resolve) => setTimeout(resolve, 600));
      await publish({ acked: true, payload: { text: `done ${data.envelope_id}` } });
    },
    1,
  );
  const ack = await ackOf(h, command.envelopeId);
  assert.deepEqual(ack.payload, { text: `done ${command.envelopeId}` }, 'the answer, in time');
  assert.equal(standIn.jobs[0]?.envelope_id, command.envelopeId, 'the held ack ran first');
  await waitFor(() => standIn.jobs.length === 6, { timeoutMs: 10000, message: 'the clicks after it' });
  assert.deepEqual(
    standIn.jobs.slice(1).map((j) => j.envelope_id),
    clicks.map((c) => c.envelopeId),
    'the clicks in the order they came',
  );
});

test('a waiting envelope names this process in reply_to with its deadline; a malformed reply is dropped and counted', { timeout: 20000 }, async () => {
  const h = await harness({ SYNC_ACK_BUDGET_MS: '500' });
  const seen: SlackJobData[] = [];
  await standInWorker(h, async (data) => {
    seen.push(data);
    const publisher = new Redis(h.redisUrl);
    try {
      await publisher.publish(data.reply_to!, JSON.stringify({ v: 1, envelope_id: data.envelope_id, acked: true, payload: ['not', 'an', 'object'] }));
      await publisher.publish(data.reply_to!, 'not json');
    } finally {
      publisher.disconnect();
    }
  });
  const before = Date.now();
  const injected = h.sim.inject({ type: 'slash_commands', payload: slashCommandPayload({ command: '/x', text: 'y' }) });
  const ack = await ackOf(h, injected.envelopeId);
  assert.equal(ack.payload, undefined);
  assert.equal(seen[0]!.reply_to, h.connector.sync.channel);
  assert.match(h.connector.sync.channel, new RegExp(`^\\{${h.prefix}\\}:sync-acks:`));
  assert.ok(seen[0]!.reply_by! >= before && seen[0]!.reply_by! <= Date.now() + 500, 'reply_by is the end of the budget');
  assert.equal(await metricValue(h.connector.registry, 'socketworks_connector_sync_replies_rejected_total'), 2);
  assert.equal(await metricValue(h.connector.registry, 'socketworks_connector_sync_answers_total', { outcome: 'late' }), 1);
});

test('SYNC_ACK_BUDGET_MS=0 turns the waiting off: answer kinds are acked bare right after the enqueue', { timeout: 20000 }, async () => {
  const h = await harness({ SYNC_ACK_BUDGET_MS: '0' });
  const injected = h.sim.inject({ type: 'interactive', payload: viewSubmissionPayload({ callback_id: 'f', values: {} }) });
  const ack = await ackOf(h, injected.envelopeId);
  assert.equal(ack.payload, undefined);
  assert.ok(ack.latencyMs! < 500, `acked in ${ack.latencyMs} ms`);
  const job = (await h.jobs('sync')).find((j) => j.id === `env-${injected.envelopeId}`);
  assert.ok(job && job.data.reply_to === undefined);
});

test('after a Redis restart the reply channel is subscribed again and answers reach the ack', { timeout: 40000 }, async () => {
  const redis = await startPrivateRedis();
  closers.push(() => redis.stop());
  const h = await harness({}, redis.url);
  await redis.stop();
  await waitFor(() => !h.connector.sync.ready || undefined, { message: 'the sync lane to notice' });
  await redis.start();
  await waitFor(() => h.connector.sync.ready || undefined, { timeoutMs: 15000, message: 'the reply channel to be subscribed again' });
  // The producer connection reconnects on its own schedule; a slash command is not redelivered,
  // so inject only once the connector can enqueue again.
  await waitFor(() => h.connector.readiness().ready || undefined, { timeoutMs: 15000, message: 'the connector to be ready again' });
  await standInWorker(h, async (_data, publish) => publish({ acked: true, payload: { text: 'back' } }));
  const injected = h.sim.inject({ type: 'slash_commands', payload: slashCommandPayload({ command: '/x', text: 'y' }) });
  const ack = await ackOf(h, injected.envelopeId);
  assert.deepEqual(ack.payload, { text: 'back' });
  assert.equal(await metricValue(h.connector.registry, 'socketworks_connector_sync_answers_total', { outcome: 'in_time' }), 1);
});
