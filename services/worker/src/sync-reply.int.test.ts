// The worker's half of the sync lane against a real Redis and the simulator: sync jobs are added
// as the connector adds them (with a `reply_to` channel this test subscribes to), and the
// replies the worker publishes are read back. The connector's half is in services/connector
// (src/sync), both together in tools/e2e.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { App } from '@socketworks/framework';
import { parseSyncReply, routeEnvelope, syncReplyChannel, toJobData, type Envelope, type QueueName, type SyncReply } from '@socketworks/protocol';
import { createQueues } from '@socketworks/runtime';
import { blockSuggestionPayload, globalShortcutPayload, SlackSim, slashCommandPayload, viewSubmissionPayload } from '@socketworks/slack-sim';
import { deleteKeys, getTestRedisUrl, scrapeSample, uniquePrefix, waitFor } from '@socketworks/testing';
import { capturingLogger, testWorkerConfig } from './test-support';
import { startWorker, type RunningWorker } from './worker';

const TOKEN = 'xoxb-0000000001-0000000001-syncreplysyncreply';
const prefix = uniquePrefix('worker-sync');
const channel = syncReplyChannel(prefix, 'test-connector');
let redisUrl: string;
let sim: SlackSim;
let connection: Redis;
let subscriber: Redis;
let queues: Record<QueueName, Queue>;
let worker: RunningWorker;
const { logger, lines: logs } = capturingLogger({ secrets: [TOKEN] });
const replies: Array<SyncReply & { at: number }> = [];
/** Released by the test: the listener of `hold` waits on it after acking. */
let release: () => void = () => undefined;

function register(app: App): void {
  app.options('ext', async ({ options, ack }) => {
    await ack({ options: [{ text: { type: 'plain_text', text: options.value }, value: options.value }] });
  });
  app.command('/hold', async ({ ack }) => {
    await ack('acked, still working');
    // The reply must be out before this resolves: the test releases it only after reading it.
    await new Promise<void>((resolve) => {
      release = resolve;
    });
  });
  app.command('/silent', async () => {
    // never acks
  });
  app.view('form', async ({ ack, view }) => {
    const value = view.state?.values.b1?.a1?.value;
    if (!value) await ack({ response_action: 'errors', errors: { b1: 'Required' } });
    else await ack();
  });
  app.shortcut('open', async ({ ack, shortcut, client }) => {
    await ack();
    await client.views.open({ trigger_id: shortcut.trigger_id, view: { type: 'modal', title: { type: 'plain_text', text: 'Hi' }, blocks: [] } });
  });
  app.command('/flaky', async () => {
    throw new Error('flaky before ack');
  });
}

before(async () => {
  redisUrl = await getTestRedisUrl();
  sim = await SlackSim.start();
  connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  queues = createQueues(connection, { prefix, backoffMs: 100, attempts: 2 });
  for (const q of Object.values(queues)) q.on('error', (err) => assert.fail(`queue error: ${err.message}`));
  subscriber = new Redis(redisUrl);
  subscriber.on('error', (err) => assert.fail(`subscriber: ${err.message}`));
  subscriber.on('message', (_channel: string, message: string) => replies.push({ ...parseSyncReply(message), at: Date.now() }));
  await subscriber.subscribe(channel);
  const config = testWorkerConfig({ apiUrl: sim.apiUrl, redisUrl, prefix, queues: 'sync:4', env: { SLACK_BOT_TOKEN: TOKEN } });
  worker = await startWorker(config, { logger, register });
});

after(async () => {
  release();
  await worker?.stop();
  for (const q of Object.values(queues ?? {})) await q.close();
  connection?.disconnect();
  subscriber?.disconnect();
  await sim?.close();
  if (redisUrl) await deleteKeys(redisUrl, `{${prefix}}*`);
});

/** Adds a sync job exactly as the connector does, waiting `budgetMs` from now. */
async function enqueue(type: Envelope['type'], payload: Record<string, unknown>, budgetMs = 2000): Promise<{ job: Job; envelopeId: string }> {
  const injected = sim.inject({ type, payload });
  const live = { ...payload, ...(injected.responseUrl ? { response_url: injected.responseUrl } : {}), ...(injected.triggerId ? { trigger_id: injected.triggerId } : {}) };
  const envelope: Envelope = { type, envelope_id: injected.envelopeId, payload: live, accepts_response_payload: true, retry_attempt: 0, retry_reason: '' };
  const route = routeEnvelope(envelope, { syncLane: true });
  assert.equal(route.queue, 'sync');
  const data = toJobData(envelope, { delivery: 'socket', receivedAt: Date.now(), replyTo: channel, replyBy: Date.now() + budgetMs });
  const job = await queues.sync.add(type, data, { jobId: route.jobId });
  return { job, envelopeId: injected.envelopeId };
}

const replyFor = (envelopeId: string) => waitFor(() => replies.find((r) => r.envelope_id === envelopeId), { message: `the reply for ${envelopeId}` });

const metric = (name: string, labels: Record<string, string>) => scrapeSample(`http://127.0.0.1:${worker.opsPort}/metrics`, name, labels);

test('the answer is published the moment the listener acks, before the listener finishes; a string becomes { text }', async () => {
  const { job, envelopeId } = await enqueue('slash_commands', slashCommandPayload({ command: '/hold', text: 'x' }));
  const reply = await replyFor(envelopeId);
  assert.deepEqual({ ...reply, at: 0 }, { v: 1, envelope_id: envelopeId, acked: true, payload: { text: 'acked, still working' }, at: 0 });
  assert.equal(await job.isActive(), true, 'the listener is still running');
  release();
  await waitFor(async () => (await job.isCompleted()) || undefined, { message: 'the job to complete' });
  assert.equal(replies.filter((r) => r.envelope_id === envelopeId).length, 1, 'one reply per job');
});

test('options and view_submission errors are published as the ack payload; a bare ack has none', async () => {
  const options = await enqueue('interactive', blockSuggestionPayload({ action_id: 'ext', value: 'typed' }));
  const errors = await enqueue('interactive', viewSubmissionPayload({ callback_id: 'form', values: { b1: { a1: { type: 'plain_text_input', value: '' } } } }));
  const fine = await enqueue('interactive', viewSubmissionPayload({ callback_id: 'form', values: { b1: { a1: { type: 'plain_text_input', value: 'ok' } } } }));
  assert.deepEqual((await replyFor(options.envelopeId)).payload, { options: [{ text: { type: 'plain_text', text: 'typed' }, value: 'typed' }] });
  assert.deepEqual((await replyFor(errors.envelopeId)).payload, { response_action: 'errors', errors: { b1: 'Required' } });
  const bare = await replyFor(fine.envelopeId);
  assert.equal(bare.acked, true);
  assert.equal('payload' in bare, false);
});

test('a listener that never acks: acked false is published when the run ends', async () => {
  const { envelopeId } = await enqueue('slash_commands', slashCommandPayload({ command: '/silent', text: '' }));
  const reply = await replyFor(envelopeId);
  assert.equal(reply.acked, false);
  assert.ok(await metric('socketworks_worker_sync_acks_total', { outcome: 'none' }) >= 1);
});

test('a shortcut acks, then opens its modal with the live trigger_id', async () => {
  const { envelopeId } = await enqueue('interactive', globalShortcutPayload({ callback_id: 'open' }));
  const reply = await replyFor(envelopeId);
  assert.equal(reply.acked, true);
  const call = await waitFor(() => sim.apiCalls('views.open').find((c) => c.ok), { message: 'views.open' });
  assert.equal(call.error, undefined);
  assert.ok(call.at >= reply.at - 50, 'views.open came after the ack');
});

test('an ack after reply_by is still published, counted late and logged', async () => {
  const { envelopeId } = await enqueue('interactive', blockSuggestionPayload({ action_id: 'ext', value: 'slow' }), -1);
  const reply = await replyFor(envelopeId);
  assert.equal(reply.acked, true);
  assert.ok(await metric('socketworks_worker_sync_acks_total', { outcome: 'late' }) >= 1);
  assert.ok(logs.some((l) => l.envelope_id === envelopeId && l.level === 'warn' && /acked after the connector stopped waiting/.test(String(l.msg))));
});

test('a failure with a retry left publishes nothing; the last failed attempt publishes acked false', async () => {
  const { job, envelopeId } = await enqueue('slash_commands', slashCommandPayload({ command: '/flaky', text: '' }), 10000);
  await waitFor(async () => (await job.isFailed()) || undefined, { message: 'the job to fail' });
  const mine = replies.filter((r) => r.envelope_id === envelopeId);
  assert.equal(mine.length, 1, 'one reply, after the last attempt');
  assert.equal(mine[0]!.acked, false);
  const failed = await queues.sync.getJob(job.id!);
  assert.equal(failed?.attemptsMade, 2);
});
