// The whole pipeline, end to end: Slack (the simulator) → connector process → BullMQ on Redis →
// worker process running the bundled example app → Web API / response_url back on the simulator.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { appMentionPayload, blockActionsPayload, SlackSim, slashCommandPayload } from '@socketworks/slack-sim';
import { DEMO_APP_TOKEN, DEMO_BOT_TOKEN, uniquePrefix, waitFor, type ServiceProcess } from '@socketworks/testing';
import { startE2eStack, type E2eStack } from './stack';

let stack: E2eStack;
let sim: SlackSim;
let connector: ServiceProcess;
let worker: ServiceProcess;
let redisUrl: string;
const queuePrefix = uniquePrefix('pipeline');

before(async () => {
  stack = await startE2eStack({ queuePrefix, sim: { redeliveryTimeoutMs: 1000 }, logLevel: 'debug', workerEnv: { WORKER_QUEUES: 'events:16,interactive:8,commands:8,sync:8' } });
  ({ sim, connector, worker, redisUrl } = stack);
});

after(() => stack?.stop());

const postedTexts = () => sim.apiCalls('chat.postMessage').map((c) => String(c.args.text));

test('1,000 app_mentions streamed at 200/s: 1,000 acks, 1,000 answers each carrying its text, none twice', { timeout: 60000 }, async () => {
  const texts: string[] = [];
  const result = await sim.injectStream({
    count: 1000,
    ratePerSecond: 200,
    make: (i) => {
      const text = `<@U0000002> stream message ${i} ${queuePrefix}`;
      texts.push(text);
      return { type: 'events_api', payload: appMentionPayload({ text }) };
    },
  });
  assert.equal(result.injected, 1000);
  const ids = new Set(result.envelopeIds);
  await waitFor(() => sim.acks().filter((a) => ids.has(a.envelopeId)).length >= 1000, { timeoutMs: 20000, message: '1,000 acks' });
  await waitFor(() => postedTexts().filter((t) => t.includes(queuePrefix) && t.includes('stream message')).length >= 1000, {
    timeoutMs: 30000,
    message: '1,000 chat.postMessage calls',
  });
  const acks = sim.acks().filter((a) => ids.has(a.envelopeId));
  assert.equal(acks.length, 1000, 'each envelope acked exactly once');
  const posted = postedTexts();
  for (const text of texts) {
    const hits = posted.filter((t) => t.includes(text));
    assert.equal(hits.length, 1, `exactly one answer carries ${JSON.stringify(text)}`);
  }
  const calls = sim.apiCalls('chat.postMessage').filter((c) => String(c.args.text).includes('stream message'));
  assert.ok(calls.every((c) => c.ok && c.args.channel === 'C0000001' && typeof c.args.thread_ts === 'string'));
  // Nothing was redelivered: every envelope was acked before the simulator's timeout.
  assert.equal(sim.deliveries().filter((d) => ids.has(d.envelopeId) && d.retryAttempt > 0).length, 0);
});

test('a redelivered envelope and a repeated event_id run the handler once', { timeout: 30000 }, async () => {
  // A real redelivery: freeze the connector so the first delivery goes unacked past the
  // simulator's timeout, then let it go; it reads the original and the retry.
  const payload = appMentionPayload({ text: `<@U0000002> redelivered ${queuePrefix}` });
  connector.child.kill('SIGSTOP');
  let first;
  try {
    first = sim.inject({ type: 'events_api', payload });
    await waitFor(() => sim.deliveries().some((d) => d.eventId === first!.eventId && d.retryAttempt === 1), {
      timeoutMs: 5000,
      message: 'the simulator to redeliver',
    });
  } finally {
    connector.child.kill('SIGCONT');
  }
  // And Slack sending the same event_id again on its own.
  sim.inject({ type: 'events_api', payload });
  await waitFor(() => sim.deliveries().filter((d) => d.eventId === first!.eventId).every((d) => d.acked), {
    timeoutMs: 10000,
    message: 'every delivery of the event to be acked',
  });
  await waitFor(() => postedTexts().some((t) => t.includes(`redelivered ${queuePrefix}`)), { timeoutMs: 10000, message: 'the answer' });
  // Give a duplicate handler run every chance to show up before counting.
  await waitFor(async () => {
    const counts = await workerJobCounts();
    return counts.active === 0 && counts.waiting === 0 && counts.delayed === 0;
  }, { timeoutMs: 10000, message: 'the events queue to drain' });
  const deliveries = sim.deliveries().filter((d) => d.eventId === first!.eventId);
  assert.ok(deliveries.length >= 3, `the event reached the connector ${deliveries.length} times`);
  assert.equal(postedTexts().filter((t) => t.includes(`redelivered ${queuePrefix}`)).length, 1, 'the handler ran once');
});

test('/echo and a button click answer through response_url; both acked well inside 3 s', { timeout: 30000 }, async () => {
  const echo = sim.inject({ type: 'slash_commands', payload: slashCommandPayload({ command: '/echo', text: `echo ${queuePrefix}` }) });
  const click = sim.inject({
    type: 'interactive',
    payload: blockActionsPayload({ actions: [{ action_id: 'approve', value: `value-a-${queuePrefix}` }, { action_id: 'reject', value: `value-b-${queuePrefix}` }] }),
  });
  const responses = await waitFor(() => {
    const calls = sim.responseUrlCalls().filter((c) => c.originEnvelopeId === echo.envelopeId || c.originEnvelopeId === click.envelopeId);
    return calls.length >= 2 ? calls : undefined;
  }, { timeoutMs: 15000, message: 'two response_url calls' });
  const echoBody = responses.find((c) => c.originEnvelopeId === echo.envelopeId)!;
  assert.match(String(echoBody.body.text), new RegExp(`echo ${queuePrefix}`));
  assert.equal(echoBody.status, 200);
  const clickBody = String(responses.find((c) => c.originEnvelopeId === click.envelopeId)!.body.text);
  assert.ok(clickBody.includes(`value-a-${queuePrefix}`) && clickBody.includes(`value-b-${queuePrefix}`), clickBody);
  for (const id of [echo.envelopeId, click.envelopeId]) {
    const ack = sim.acks().find((a) => a.envelopeId === id);
    assert.ok(ack && ack.latencyMs !== null, `envelope ${id} acked`);
    assert.ok(ack.latencyMs! < 3000, `acked in ${ack.latencyMs} ms`);
  }
});

test('no token appears in any log line of the connector or the worker (LOG_LEVEL=debug)', () => {
  const output = connector.output() + worker.output();
  assert.ok(output.length > 1000, 'the processes did log');
  assert.ok(connector.logs.some((l) => l.level === 'debug'), 'debug lines were written');
  for (const token of [DEMO_APP_TOKEN, DEMO_BOT_TOKEN]) {
    assert.ok(!output.includes(token), 'token leaked into the logs');
    assert.ok(!output.includes(token.slice(5)), 'token body leaked into the logs');
  }
});

async function workerJobCounts(): Promise<Record<string, number>> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue('events', { connection, prefix: `{${queuePrefix}}` });
  try {
    return await queue.getJobCounts('active', 'waiting', 'delayed');
  } finally {
    await queue.close();
    connection.disconnect();
  }
}
