import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '@slack/web-api';
import { classifyError, rateLimitOf, slackErrorCode } from './classify-error';
import { FrameworkError, MultipleListenerError, PermanentError, RateLimitedError, RespondError } from './errors';

/** The shapes @slack/web-api throws (errors.ts: a coded Error with `data` / `statusCode`). */
function platformError(error: string): Error {
  return Object.assign(new Error(`An API error occurred: ${error}`), { code: ErrorCode.PlatformError, data: { ok: false, error } });
}
function httpError(statusCode: number): Error {
  return Object.assign(new Error(`An HTTP protocol error occurred: statusCode = ${statusCode}`), { code: ErrorCode.HTTPError, statusCode });
}

test('Slack platform errors are permanent unless Slack says to try later', () => {
  for (const error of ['invalid_auth', 'channel_not_found', 'not_in_channel', 'expired_trigger_id', 'is_archived', 'invalid_blocks']) {
    assert.equal(classifyError(platformError(error)), 'permanent', error);
  }
  for (const error of ['ratelimited', 'internal_error', 'service_unavailable', 'fatal_error']) {
    assert.equal(classifyError(platformError(error)), 'transient', error);
  }
});

test('network errors, rate limits and 5xx are transient; 4xx other than 408/429 permanent', () => {
  assert.equal(classifyError(Object.assign(new Error('socket hang up'), { code: ErrorCode.RequestError })), 'transient');
  assert.equal(classifyError(Object.assign(new Error('rate limited'), { code: ErrorCode.RateLimitedError, retryAfter: 3 })), 'transient');
  assert.equal(classifyError(httpError(503)), 'transient');
  assert.equal(classifyError(httpError(429)), 'transient');
  assert.equal(classifyError(httpError(404)), 'permanent');
  assert.equal(classifyError(new RespondError('ERR_RESPOND_STATUS', 'x', 404)), 'permanent');
  assert.equal(classifyError(new RespondError('ERR_RESPOND_STATUS', 'x', 502)), 'transient');
  assert.equal(classifyError(new RespondError('ERR_RESPOND_REQUEST', 'x', undefined, { cause: new Error('ECONNRESET') })), 'transient');
});

test('app errors: a PermanentError or a say/respond misuse is permanent; an ordinary bug is retried', () => {
  assert.equal(classifyError(new PermanentError('bad input')), 'permanent');
  assert.equal(classifyError(new FrameworkError('ERR_SAY_NO_CHANNEL', 'x')), 'permanent');
  assert.equal(classifyError(new FrameworkError('ERR_RESPOND_NO_URL', 'x')), 'permanent');
  assert.equal(classifyError(new TypeError('cannot read properties of undefined')), 'transient');
  assert.equal(classifyError('a string'), 'transient');
});

test('wrapped errors take the kind of what they wrap; several listener errors are permanent only if all are', () => {
  const wrapped = new Error('posting the summary failed', { cause: platformError('channel_not_found') });
  assert.equal(classifyError(wrapped), 'permanent');
  assert.equal(slackErrorCode(wrapped), 'channel_not_found');
  assert.equal(slackErrorCode(new Error('x')), undefined);
  assert.equal(classifyError(new MultipleListenerError([platformError('invalid_auth'), new PermanentError('x')])), 'permanent');
  assert.equal(classifyError(new MultipleListenerError([platformError('invalid_auth'), new Error('flaky')])), 'transient');
});

test('rate limits: transient, found by rateLimitOf alone, wrapped, or when every listener error is one (the longest wait)', () => {
  const short = new RateLimitedError('chat.postMessage', 'T1', 1000, false);
  const long = new RateLimitedError('views.publish', 'T1', 5000, true);
  assert.equal(classifyError(short), 'transient');
  assert.equal(rateLimitOf(short), short);
  assert.equal(rateLimitOf(new Error('wrapped', { cause: long })), long);
  assert.equal(rateLimitOf(new MultipleListenerError([short, long])), long);
  assert.equal(rateLimitOf(new MultipleListenerError([short, new Error('a real failure')])), undefined, 'a real failure wins');
  assert.equal(rateLimitOf(new Error('other')), undefined);
  assert.match(long.message, /paused for team T1 by an earlier rate limit/);
});

test('a spent or expired response_url is permanent', () => {
  assert.equal(classifyError(new RespondError('ERR_RESPOND_URL_EXHAUSTED', 'x')), 'permanent');
  assert.equal(classifyError(new RespondError('ERR_RESPOND_URL_EXPIRED', 'x')), 'permanent');
});
