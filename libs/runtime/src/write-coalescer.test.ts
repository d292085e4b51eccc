import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as turn } from 'node:timers/promises';
import { Writable } from 'node:stream';
import { WriteCoalescer } from './write-coalescer';

/** A socket stand-in that records how the writes reached it: one entry per system call. */
function recorder(): { stream: Writable; calls: string[][] } {
  const calls: string[][] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      calls.push([chunk.toString()]);
      done();
    },
    writev(chunks, done) {
      calls.push(chunks.map((c) => String(c.chunk)));
      done();
    },
  });
  return { stream, calls };
}

test('writes of one turn after hold() reach the socket together when the turn ends', async () => {
  const { stream, calls } = recorder();
  const coalescer = new WriteCoalescer(() => stream);
  coalescer.hold();
  stream.write('a');
  coalescer.hold(); // a second hold in the same turn changes nothing
  stream.write('b');
  await Promise.resolve(); // microtasks of this turn still write into the same batch
  stream.write('c');
  assert.deepEqual(calls, [], 'nothing written while the turn runs');
  await turn();
  assert.deepEqual(calls, [['a', 'b', 'c']]);
  assert.equal(stream.writableCorked, 0, 'uncorked');
  // The next turn is a new batch.
  coalescer.hold();
  stream.write('d');
  await turn();
  assert.deepEqual(calls, [['a', 'b', 'c'], ['d']]);
});

test('without hold() every write goes on its own', async () => {
  const { stream, calls } = recorder();
  stream.write('a');
  stream.write('b');
  await turn();
  assert.equal(calls.length, 2);
});

test('no socket, or one that is destroyed: nothing is corked', async () => {
  new WriteCoalescer(() => undefined).hold();
  const { stream } = recorder();
  stream.destroy();
  new WriteCoalescer(() => stream).hold();
  assert.equal(stream.writableCorked, 0);
});

test('the socket corked is the one uncorked, even when the target moved on meanwhile', async () => {
  const first = recorder();
  const second = recorder();
  let current = first.stream;
  const coalescer = new WriteCoalescer(() => current);
  coalescer.hold();
  first.stream.write('x');
  current = second.stream;
  await turn();
  assert.deepEqual(first.calls, [['x']]);
  assert.equal(first.stream.writableCorked, 0);
  coalescer.hold();
  assert.equal(second.stream.writableCorked, 1);
  await turn();
  assert.equal(second.stream.writableCorked, 0);
});
