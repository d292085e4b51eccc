// Envelope → job → ack through the real simulator and a real Redis: volume, dedupe, redelivery,
// and the ack latency of the kinds a user is waiting on.
import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { appMentionPayload, blockActionsPayload, slashCommandPayload, VERIFICATION_TOKEN, viewClosedPayload, viewSubmissionPayload } from '@socketworks/slack-sim';
import { waitFor } from '@socketworks/testing';
import { histogramCount, metricValue } from '../test-support/log-capture';
import { startHarness, type Harness } from '../test-support/harness';

let h: Harness;

// Each test: its own simulator, queue prefix (keys deleted afterwards) and connector.
beforeEach(async () => {
  h = await startHarness({ name: 'ingest', sim: { redeliveryTimeoutMs: 800, maxRedeliveries: 5 } });
});

afterEach(async () => {
  await h?.close();
});

test('1,000 app_mentions streamed at 200/s: 1,000 acks, 1,000 jobs with the right text, no duplicate job ids', { timeout: 60000 }, async (t) => {
  const texts = new Map<string, string>();
  const result = await h.sim.injectStream({
    count: 1000,
    ratePerSecond: 200,
    make: (i) => ({ type: 'events_api', payload: appMentionPayload({ text: `<@U0000002> volume ${i}` }) }),
  });
  assert.equal(result.injected, 1000);
  const ids = new Set(result.envelopeIds);
  for (const d of h.sim.deliveries()) if (ids.has(d.envelopeId)) texts.set(d.eventId!, String((d.payload.event as { text: string }).text));
  await waitFor(() => h.sim.acks().filter((a) => ids.has(a.envelopeId)).length >= 1000, { timeoutMs: 20000, message: '1,000 acks' });

  const acks = h.sim.acks().filter((a) => ids.has(a.envelopeId));
  assert.equal(acks.length, 1000);
  assert.ok(acks.every((a) => a.known && !a.crossSocket && !a.duplicate), 'each acked once, on the socket that delivered it');
  const jobs = (await h.jobs('events')).filter((j) => texts.has(String((j.data.payload as { event_id: string }).event_id)));
  assert.equal(jobs.length, 1000);
  assert.equal(new Set(jobs.map((j) => j.id)).size, 1000, 'no duplicate job ids');
  for (const job of jobs) {
    const payload = job.data.payload as { event_id: string; event: { text: string }; token?: string };
    assert.equal(job.id, `ev-${payload.event_id}`);
    assert.equal(job.name, 'app_mention');
    assert.equal(payload.event.text, texts.get(payload.event_id));
    assert.equal(payload.token, undefined, 'the verification token is scrubbed');
    assert.equal(job.data.type, 'events_api');
    assert.equal(job.data.delivery, 'socket');
  }
  assert.ok(!JSON.stringify(jobs).includes(VERIFICATION_TOKEN));
  assert.equal(h.sim.deliveries().filter((d) => ids.has(d.envelopeId) && d.retryAttempt > 0).length, 0, 'nothing needed a redelivery');
  assert.equal(await histogramCount(h.connector.registry, 'socketworks_connector_enqueue_duration_seconds', { queue: 'events' }), 1000, 'one enqueue timed per job');
  const latencies = acks.map((a) => a.latencyMs!).sort((a, b) => a - b);
  t.diagnostic(`sim-observed ack latency over 1,000 events: p50 ${latencies[500]!.toFixed(2)} ms, p99 ${latencies[990]!.toFixed(2)} ms, max ${latencies[999]!.toFixed(2)} ms`);
  assert.ok(latencies[999]! < 3000);
});

test('the same event_id injected twice is one job; the duplicate is counted and still acked', async () => {
  const payload = appMentionPayload({ text: '<@U0000002> twice' });
  const first = h.sim.inject({ type: 'events_api', payload });
  await waitFor(() => h.sim.acks().some((a) => a.envelopeId === first.envelopeId), { message: 'first ack' });
  const second = h.sim.inject({ type: 'events_api', payload });
  await waitFor(() => h.sim.acks().some((a) => a.envelopeId === second.envelopeId), { message: 'second ack' });
  assert.notEqual(first.envelopeId, second.envelopeId);
  const jobs = (await h.jobs('events')).filter((j) => j.id === `ev-${first.eventId}`);
  assert.equal(jobs.length, 1);
  assert.equal(jobs[0]!.data.envelope_id, first.envelopeId, 'the first delivery wrote the job');
  assert.equal(await metricValue(h.connector.registry, 'socketworks_connector_duplicates_total'), 1);
});

test('a real redelivery (the first delivery went unacked) becomes one job and both deliveries are acked', async () => {
  const runners = [0, 1].map((slot) => h.connector.slots.runner(slot));
  // Stop reading on every socket: the delivery sits unread, so Slack (the sim) times out and redelivers.
  for (const r of runners) r.pauseReads();
  let injected;
  try {
    injected = h.sim.inject({ type: 'events_api', payload: appMentionPayload({ text: '<@U0000002> redelivered' }) });
    await waitFor(() => h.sim.deliveries().some((d) => d.eventId === injected!.eventId && d.retryAttempt >= 1), { timeoutMs: 5000, message: 'a redelivery' });
  } finally {
    for (const r of runners) r.resumeReads();
  }
  await waitFor(() => h.sim.deliveries().filter((d) => d.eventId === injected.eventId).every((d) => d.acked), { timeoutMs: 5000, message: 'all deliveries acked' });
  const deliveries = h.sim.deliveries().filter((d) => d.eventId === injected.eventId);
  assert.ok(deliveries.length >= 2 && deliveries.some((d) => d.retryAttempt >= 1 && d.retryReason === 'timeout'));
  const jobs = (await h.jobs('events')).filter((j) => j.id === `ev-${injected.eventId}`);
  assert.equal(jobs.length, 1, 'one job for the event');
  assert.ok((await metricValue(h.connector.registry, 'socketworks_connector_redeliveries_total')) >= 1);
  assert.equal((await h.jobs('events')).length, 1, 'nothing else in this test\'s queue');
});

test('slash commands and interactive payloads go to the sync lane; with no worker answering they are acked bare within the budget', async (t) => {
  // No worker serves the sync queue here: the answer kinds wait out SYNC_ACK_BUDGET_MS (2 s by
  // default), the trigger_id kinds are acked right after the enqueue.
  const injected = [
    { queue: 'sync' as const, ...h.sim.inject({ type: 'slash_commands', payload: slashCommandPayload({ command: '/deploy', text: 'prod' }) }) },
    { queue: 'sync' as const, ...h.sim.inject({ type: 'interactive', payload: blockActionsPayload({ actions: [{ action_id: 'approve', value: 'yes' }] }) }) },
    { queue: 'sync' as const, ...h.sim.inject({ type: 'interactive', payload: viewSubmissionPayload({ callback_id: 'form', values: {} }) }) },
    { queue: 'interactive' as const, ...h.sim.inject({ type: 'interactive', payload: viewClosedPayload({ callback_id: 'form' }) }) },
  ];
  const acks = await waitFor(() => {
    const found = injected.map((i) => h.sim.acks().find((a) => a.envelopeId === i.envelopeId));
    return found.every(Boolean) ? found : undefined;
  }, { message: 'four acks' });
  for (const ack of acks) {
    assert.ok(ack!.latencyMs !== null && ack!.latencyMs < 2500, `acked in ${ack!.latencyMs} ms`);
    assert.ok(!ack!.crossSocket);
    assert.equal(ack!.payload, undefined, 'a bare ack');
  }
  assert.ok(acks[0]!.latencyMs! >= 1900, `the slash command waited for an answer (${acks[0]!.latencyMs} ms)`);
  assert.ok(acks[1]!.latencyMs! < 1000, `block_actions did not wait (${acks[1]!.latencyMs} ms)`);
  t.diagnostic(`sim-observed ack latency: slash command ${acks[0]!.latencyMs!.toFixed(2)} ms, block_actions ${acks[1]!.latencyMs!.toFixed(2)} ms, view_submission ${acks[2]!.latencyMs!.toFixed(2)} ms, view_closed ${acks[3]!.latencyMs!.toFixed(2)} ms`);
  for (const i of injected) {
    const jobs = (await h.jobs(i.queue)).filter((j) => j.id === `env-${i.envelopeId}`);
    assert.equal(jobs.length, 1, `job for ${i.envelopeId} in ${i.queue}`);
  }
  const commandJob = (await h.jobs('sync')).find((j) => j.id === `env-${injected[0]!.envelopeId}`)!;
  assert.equal(commandJob.name, '/deploy');
  assert.equal((commandJob.data.payload as { text: string }).text, 'prod');
  assert.equal(commandJob.data.reply_to, h.connector.sync.channel);
  assert.equal(await metricValue(h.connector.registry, 'socketworks_connector_acks_total', { type: 'slash_commands' }), 1);
  assert.equal(await metricValue(h.connector.registry, 'socketworks_connector_sync_answers_total', { outcome: 'late' }), 2);
  const enqueues = (queue: string) => histogramCount(h.connector.registry, 'socketworks_connector_enqueue_duration_seconds', { queue });
  assert.deepEqual([await enqueues('sync'), await enqueues('interactive'), await enqueues('events')], [3, 1, 0], 'enqueue round trips timed by queue');
});
