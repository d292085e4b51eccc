// conversations.history / conversations.replies over the messages chat.postMessage stored: order,
// threads, metadata only when asked for, pagination, and the errors Slack answers.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { WebClient } from '@slack/web-api';
import { waitFor } from '@socketworks/testing';
import { SlackSim } from './slack-sim';
import { api, BOT_TOKEN } from './test-helpers';

async function startSim(t: TestContext): Promise<SlackSim> {
  const sim = await SlackSim.start();
  t.after(() => sim.close());
  return sim;
}

type Msg = Record<string, unknown>;
const tag = (key: string) => ({ event_type: 'socketworks_effect', event_payload: { key } });

test('conversations.history: top-level messages newest first; metadata only with include_all_metadata; oldest bounds', async (t) => {
  const sim = await startSim(t);
  const post = async (body: Msg) => (await api(sim, 'chat.postMessage', { token: BOT_TOKEN, body })).body!;
  const one = await post({ channel: 'C0000010', text: 'one', metadata: tag('a') });
  const two = await post({ channel: 'C0000010', text: 'two' });
  const reply = await post({ channel: 'C0000010', text: 'in thread', thread_ts: one.ts, metadata: tag('b') });
  await post({ channel: 'C0000011', text: 'elsewhere' });
  assert.deepEqual((one.message as Msg).metadata, tag('a'), 'chat.postMessage echoes the metadata');

  const plain = (await api(sim, 'conversations.history', { token: BOT_TOKEN, body: { channel: 'C0000010' } })).body!;
  assert.equal(plain.ok, true);
  const messages = plain.messages as Msg[];
  assert.deepEqual(messages.map((m) => m.text), ['two', 'one'], 'newest first, thread replies left out');
  assert.ok(messages.every((m) => !('metadata' in m)), 'no metadata without include_all_metadata');
  assert.equal(messages[1]!.reply_count, 1);
  assert.equal(messages[1]!.latest_reply, reply.ts);
  assert.equal(plain.has_more, false);
  assert.deepEqual(plain.response_metadata, { next_cursor: '' });

  // The official client sends form bodies (booleans as strings).
  const client = new WebClient(BOT_TOKEN, { slackApiUrl: sim.apiUrl, retryConfig: { retries: 0 } });
  const withMeta = await client.conversations.history({ channel: 'C0000010', include_all_metadata: true, oldest: String(one.ts) });
  assert.deepEqual(
    (withMeta.messages ?? []).map((m) => [m.text, (m as Msg).metadata ?? null]),
    [['two', null]],
    'oldest is exclusive by default',
  );
  const inclusive = await client.conversations.history({ channel: 'C0000010', include_all_metadata: true, oldest: String(one.ts), inclusive: true });
  assert.deepEqual((inclusive.messages ?? []).map((m) => (m as Msg).metadata ?? null), [null, tag('a')]);
  assert.deepEqual(
    ((await client.conversations.history({ channel: 'C0000012' })).messages ?? []).length,
    0,
    'a channel with no posts is empty, not an error',
  );
  void two;
});

test('conversations.replies: parent then replies oldest first, with metadata; unknown threads; pagination', async (t) => {
  const sim = await startSim(t);
  const client = new WebClient(BOT_TOKEN, { slackApiUrl: sim.apiUrl, retryConfig: { retries: 0 } });
  // A thread under a user's message the simulator never saw posted (as under an app_mention).
  const parentTs = '1700000000.000100';
  for (let i = 0; i < 5; i++) {
    await client.chat.postMessage({ channel: 'C0000020', text: `r${i}`, thread_ts: parentTs, metadata: tag(`k${i}`) });
  }
  const all = await client.conversations.replies({ channel: 'C0000020', ts: parentTs, include_all_metadata: true });
  assert.deepEqual((all.messages ?? []).map((m) => m.text), ['r0', 'r1', 'r2', 'r3', 'r4']);
  assert.deepEqual((all.messages ?? []).map((m) => ((m as Msg).metadata as { event_payload: { key: string } }).event_payload.key), ['k0', 'k1', 'k2', 'k3', 'k4']);

  const pages: string[][] = [];
  let cursor: string | undefined;
  do {
    const page = await client.conversations.replies({ channel: 'C0000020', ts: parentTs, limit: 2, ...(cursor ? { cursor } : {}) });
    pages.push((page.messages ?? []).map((m) => m.text ?? ''));
    cursor = page.response_metadata?.next_cursor || undefined;
    assert.equal(page.has_more, cursor !== undefined);
  } while (cursor);
  assert.deepEqual(pages, [['r0', 'r1'], ['r2', 'r3'], ['r4']]);

  // A parent the app posted comes first.
  const parent = await client.chat.postMessage({ channel: 'C0000021', text: 'parent' });
  await client.chat.postMessage({ channel: 'C0000021', text: 'child', thread_ts: parent.ts! });
  const thread = await client.conversations.replies({ channel: 'C0000021', ts: parent.ts! });
  assert.deepEqual((thread.messages ?? []).map((m) => [m.text, m.thread_ts]), [['parent', parent.ts], ['child', parent.ts]]);

  const reply = (body: Msg) => api(sim, 'conversations.replies', { token: BOT_TOKEN, body });
  assert.equal((await reply({ channel: 'C0000020', ts: '1600000000.000001' })).body!.error, 'thread_not_found');
  assert.equal((await reply({ channel: 'C0000020' })).body!.error, 'invalid_arguments');
  assert.equal((await reply({ channel: 'C0000020', ts: parentTs, cursor: 'bm9wZQ==' })).body!.error, 'invalid_cursor');
  assert.equal((await reply({ channel: 'general', ts: parentTs })).body!.error, 'channel_not_found');
  assert.equal((await api(sim, 'chat.postMessage', { token: BOT_TOKEN, body: { channel: 'C1', text: 'x', metadata: { event_type: 1 } } })).body!.error, 'invalid_metadata_format');
  assert.equal(sim.apiCalls('conversations.replies').length, 9, 'every read is recorded');
});

test('setApiLatency: the post takes effect at once and its answer comes late; a client that gives up finds it by reading', async (t) => {
  const sim = await startSim(t);
  sim.setApiLatency({ method: 'chat.postMessage', ms: 400 });
  const started = Date.now();
  const aborted = new AbortController();
  const posting = fetch(`${sim.apiUrl}chat.postMessage`, {
    method: 'POST',
    headers: { authorization: `Bearer ${BOT_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ channel: 'C0000030', text: 'late answer', metadata: tag('late') }),
    signal: aborted.signal,
  });
  const client = new WebClient(BOT_TOKEN, { slackApiUrl: sim.apiUrl, retryConfig: { retries: 0 } });
  // Reads are not delayed: the message is there before its poster hears back.
  let seen: Msg[] = [];
  while (seen.length === 0 && Date.now() - started < 300) {
    seen = ((await client.conversations.history({ channel: 'C0000030', include_all_metadata: true })).messages ?? []) as Msg[];
  }
  assert.equal(seen[0]?.text, 'late answer');
  assert.ok(Date.now() - started < 400, 'seen before the answer was due');
  aborted.abort();
  await assert.rejects(posting, /abort/i);
  const made = await waitFor(() => sim.apiCalls('chat.postMessage').find((c) => c.ok), { timeoutMs: 2000, message: 'the call to be recorded' });
  assert.ok(made.args.text === 'late answer', 'recorded as made although nobody heard the answer');

  // Cleared: answers are prompt again; the control API sets it the same way.
  const res = await fetch(`${sim.baseUrl}/_sim/api-latency`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: 'null' });
  assert.equal(res.status, 200);
  const quick = Date.now();
  await client.chat.postMessage({ channel: 'C0000030', text: 'prompt' });
  assert.ok(Date.now() - quick < 300);
});
