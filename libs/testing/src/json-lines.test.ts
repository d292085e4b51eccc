import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonLineCollector } from './json-lines';

test('lines split across pieces are joined; blank lines skipped; a line that is not JSON is kept as its msg', () => {
  const c = new JsonLineCollector();
  c.push('{"level":"info","msg":"a"}\n{"msg":');
  assert.equal(c.lines.length, 1);
  c.push('"b"}\n\n  \nplain text\n{"msg":"unfinished"');
  assert.deepEqual(c.lines, [{ level: 'info', msg: 'a' }, { msg: 'b' }, { msg: 'plain text' }]);
  assert.deepEqual(c.raw, ['{"level":"info","msg":"a"}', '{"msg":"b"}', 'plain text']);
});

test('as a logger destination it keeps what is written to it', async () => {
  const c = new JsonLineCollector();
  const stream = c.writable();
  await new Promise<void>((resolve, reject) => stream.write('{"msg":"x"}\n', (err) => (err ? reject(err) : resolve())));
  assert.deepEqual(c.lines, [{ msg: 'x' }]);
});
