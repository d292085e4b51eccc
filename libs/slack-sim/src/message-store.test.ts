import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageStore, type ReadOptions } from './message-store';

const read: ReadOptions = { limit: 999, includeAllMetadata: false };
const ts = (i: number) => `1700000000.${String(i).padStart(6, '0')}`;

test('the cap per channel is exact: reads and updates see the newest messages only, however many were posted', () => {
  const store = new MessageStore(4);
  for (let i = 1; i <= 23; i++) {
    store.add({ channel: 'C1', ts: ts(i), message: { ts: ts(i), text: `m${i}` } });
    const shown = store.history('C1', read).messages.map((m) => m.text);
    const newest = Array.from({ length: Math.min(i, 4) }, (_, k) => `m${i - k}`);
    assert.deepEqual(shown, newest, `after ${i} posts`);
  }
  assert.equal(store.update('C1', ts(19), { text: 'gone' }), false, 'the fifth newest is forgotten');
  assert.equal(store.update('C1', ts(20), { text: 'edited' }), true);
  assert.equal(store.history('C1', read).messages.at(-1)!.text, 'edited');
  assert.deepEqual(store.history('C2', read).messages, [], 'channels are apart');
});

test('a thread whose parent fell past the cap answers its replies within the cap, without the parent', () => {
  const store = new MessageStore(3);
  store.add({ channel: 'C1', ts: ts(1), message: { ts: ts(1), text: 'parent' } });
  for (let i = 2; i <= 5; i++) store.add({ channel: 'C1', ts: ts(i), threadTs: ts(1), message: { ts: ts(i), thread_ts: ts(1), text: `r${i}` } });
  const page = store.replies('C1', ts(1), read);
  assert.deepEqual(page?.messages.map((m) => m.text), ['r3', 'r4', 'r5']);
});
