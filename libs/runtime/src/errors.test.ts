import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeError, RepeatedErrors, SocketworksError } from './errors';

test('an error is described by message, name and string code', () => {
  const err = Object.assign(new Error('boom'), { code: 'ECONNREFUSED' });
  assert.deepEqual(describeError(err), { message: 'boom', name: 'Error', code: 'ECONNREFUSED' });
  assert.deepEqual(describeError(Object.assign(new Error('n'), { code: 7 })), { message: 'n', name: 'Error' });
});

test('a wrapper says why: the cause chain is described, three levels at most', () => {
  const root = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
  const wrapped = new SocketworksError('ERR_INGEST_ENQUEUE', 'enqueue failed', { cause: root });
  assert.deepEqual(describeError(wrapped), {
    message: 'enqueue failed',
    name: 'SocketworksError',
    code: 'ERR_INGEST_ENQUEUE',
    cause: { message: 'connect ECONNREFUSED 127.0.0.1:6379', name: 'Error', code: 'ECONNREFUSED' },
  });
  const cyclic = new Error('a');
  cyclic.cause = cyclic;
  let depth = 0;
  for (let d = describeError(cyclic); d.cause; d = d.cause) depth += 1;
  assert.equal(depth, 3);
  assert.deepEqual(describeError(new Error('x', { cause: 'a string' })).cause, { message: 'a string' });
});

test('anything thrown is described without throwing', () => {
  assert.deepEqual(describeError('plain'), { message: 'plain' });
  assert.deepEqual(describeError(undefined), { message: 'undefined' });
  assert.deepEqual(describeError({ toString: 1 }), { message: 'thrown object' });
  assert.deepEqual(describeError(Object.create(null)), { message: 'thrown object' });
});

test('RepeatedErrors lets each distinct error through once while it repeats; reset says whether one was held', () => {
  const errors = new RepeatedErrors();
  const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
  assert.deepEqual(errors.fresh(refused), describeError(refused));
  assert.equal(errors.fresh(refused), undefined, 'a repeat is held back');
  // Same message, another code: a different error.
  assert.ok(errors.fresh(new Error('connect ECONNREFUSED')));
  assert.equal(errors.reset(), true);
  assert.equal(errors.reset(), false);
  assert.ok(errors.fresh(refused), 'after a reset the same error is news again');
});
