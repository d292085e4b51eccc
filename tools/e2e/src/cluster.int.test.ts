// The pipeline on a private 3-master Redis Cluster: connector and worker processes with
// REDIS_CLUSTER=true, every key under the prefix's hash tag.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appMentionPayload, blockActionsPayload, SlackSim, slashCommandPayload } from '@socketworks/slack-sim';
import { startPrivateCluster, uniquePrefix, waitFor, type PrivateCluster } from '@socketworks/testing';
import { startE2eStack, type E2eStack } from './stack';

let cluster: PrivateCluster;
let stack: E2eStack;
let sim: SlackSim;
const queuePrefix = uniquePrefix('cluster');

before(async () => {
  cluster = await startPrivateCluster();
  stack = await startE2eStack({
    queuePrefix,
    sim: { redeliveryTimeoutMs: 1000 },
    redis: { url: cluster.url, env: { REDIS_CLUSTER: 'true' } },
    workerEnv: { WORKER_QUEUES: 'events:16,interactive:8,commands:8,sync:8' },
  });
  ({ sim } = stack);
});

after(async () => {
  await stack?.stop();
  await cluster?.stop();
});

const postedTexts = () => sim.apiCalls('chat.postMessage').map((c) => String(c.args.text));

test('on a Redis Cluster: 300 app_mentions at 200/s each answered once; a repeated event_id runs once', { timeout: 60000 }, async () => {
  const texts: string[] = [];
  const result = await sim.injectStream({
    count: 300,
    ratePerSecond: 200,
    make: (i) => {
      const text = `<@U0000002> cluster message ${i} ${queuePrefix}`;
      texts.push(text);
      return { type: 'events_api', payload: appMentionPayload({ text }) };
    },
  });
  const ids = new Set(result.envelopeIds);
  await waitFor(() => sim.acks().filter((a) => ids.has(a.envelopeId)).length >= 300, { timeoutMs: 20000, message: '300 acks' });
  const repeated = appMentionPayload({ text: `<@U0000002> repeated ${queuePrefix}` });
  sim.inject({ type: 'events_api', payload: repeated });
  sim.inject({ type: 'events_api', payload: repeated });
  await waitFor(() => postedTexts().filter((t) => t.includes(queuePrefix)).length >= 301, { timeoutMs: 30000, message: '301 answers' });
  await waitFor(() => sim.deliveries().filter((d) => d.eventId === repeated.event_id).every((d) => d.acked), { message: 'both repeated deliveries acked' });
  const posted = postedTexts();
  for (const text of texts) assert.equal(posted.filter((t) => t.includes(text)).length, 1, `one answer for ${text}`);
  assert.equal(posted.filter((t) => t.includes(`repeated ${queuePrefix}`)).length, 1, 'the repeated event ran once');
});

test('on a Redis Cluster: /echo and a button click answer through response_url', { timeout: 30000 }, async () => {
  const echo = sim.inject({ type: 'slash_commands', payload: slashCommandPayload({ command: '/echo', text: `echo ${queuePrefix}` }) });
  const click = sim.inject({ type: 'interactive', payload: blockActionsPayload({ actions: [{ action_id: 'approve', value: `v-${queuePrefix}` }] }) });
  const calls = await waitFor(() => {
    const found = sim.responseUrlCalls().filter((c) => c.originEnvelopeId === echo.envelopeId || c.originEnvelopeId === click.envelopeId);
    return found.length >= 2 ? found : undefined;
  }, { timeoutMs: 15000, message: 'two response_url calls' });
  assert.match(String(calls.find((c) => c.originEnvelopeId === echo.envelopeId)!.body.text), new RegExp(`echo ${queuePrefix}`));
  assert.match(String(calls.find((c) => c.originEnvelopeId === click.envelopeId)!.body.text), new RegExp(`v-${queuePrefix}`));
});
