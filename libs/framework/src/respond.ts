// `respond()`: a JSON POST to the payload's response_url (PROTOCOL.md §6), over kept-alive
// connections (http-exchange.ts), with one deadline for the whole exchange. Non-2xx rejects with
// the status, as Bolt 5 does. The URL is a bearer capability, so it never goes into an error
// message or a log line. While a job runs, each respond() goes through the job's scope
// (job-scope.ts): recorded across attempts, and counted against the URL's 5 uses and 30 minutes.
import { RespondError } from './errors';
import { exchange, ExchangeError, type ExchangeAnswer } from './http-exchange';
import { currentJobScope } from './job-scope';
import type { RespondArguments, RespondFn, RespondResult } from './types';

export interface RespondOptions {
  /** @defaultValue 10000 */
  timeoutMs?: number;
}

export function createRespond(url: string | undefined, options: RespondOptions = {}): RespondFn {
  const timeoutMs = options.timeoutMs ?? 10000;
  return async (message: string | RespondArguments): Promise<RespondResult> => {
    if (!url) throw new RespondError('ERR_RESPOND_NO_URL', 'respond() was called for a payload without a response_url');
    // Checked before the job's scope takes one of the URL's uses or records the call: a URL
    // that is not one never becomes one, so the job fails at once (permanent), posting nothing.
    const target = responseUrlOf(url);
    const body: RespondArguments = typeof message === 'string' ? { text: message } : message;
    const scope = currentJobScope();
    return scope ? scope.respond(url, body, (b) => post(target, b, timeoutMs)) : post(target, body, timeoutMs);
  };
}

function responseUrlOf(url: string): URL {
  let target: URL;
  try {
    target = new URL(url);
  } catch (err) {
    throw new RespondError('ERR_RESPOND_BAD_URL', 'the payload\'s response_url is not a URL', undefined, { cause: err });
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    // The scheme only: the rest of the URL is a bearer capability.
    throw new RespondError('ERR_RESPOND_BAD_URL', `the payload's response_url is not http(s) (scheme ${JSON.stringify(target.protocol.slice(0, 16))})`);
  }
  return target;
}

/** Enough of an error body to say what went wrong; the rest is drained unread. */
const MAX_ERROR_TEXT = 200;

async function post(target: URL, body: RespondArguments, timeoutMs: number): Promise<RespondResult> {
  let answer: ExchangeAnswer;
  try {
    answer = await exchange({
      url: target,
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: Buffer.from(JSON.stringify(body), 'utf8'),
      timeoutMs,
      maxText: MAX_ERROR_TEXT,
      // No second try inside: a reset after the request was written may come after Slack took
      // it, and a response_url message sent twice shows twice. The job's retry decides: the
      // respond() stays pending (at-least-once, job-scope.ts), and each POST counts a use.
      retryOnStaleConnection: false,
    });
  } catch (err) {
    // The exchange's message names no URL (it is a bearer capability).
    const why = err instanceof ExchangeError ? (err.kind === 'timeout' ? `no answer within ${timeoutMs} ms` : err.kind === 'answer' ? 'the answer broke off' : 'request failed') : 'request failed';
    throw new RespondError('ERR_RESPOND_REQUEST', `response_url POST failed: ${why}`, undefined, { cause: err instanceof ExchangeError ? err.cause : err });
  }
  const { status, text } = answer;
  if (status < 200 || status >= 300) {
    throw new RespondError('ERR_RESPOND_STATUS', `response_url answered HTTP ${status}${text ? `: ${text.slice(0, MAX_ERROR_TEXT)}` : ''}`, status);
  }
  return { status };
}
