import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unreadableJobFields } from './queues';

test('unreadableJobFields names the stored fields BullMQ cannot parse, and only those', () => {
  assert.deepEqual(unreadableJobFields({ data: '{"v":1}', opts: '{"attempts":5}', progress: '0', name: 'not json is fine here' }), []);
  assert.deepEqual(unreadableJobFields({ data: '{not json', opts: '{}', progress: '12' }), ['data']);
  assert.deepEqual(unreadableJobFields({ data: '{}', opts: 'null', progress: '{', parent: '{"id":' }), ['opts', 'progress', 'parent']);
  // Absent or empty: BullMQ reads its default.
  assert.deepEqual(unreadableJobFields({ data: '', opts: undefined }), []);
});
