// `respond()`: a JSON POST to the payload's response_url (PROTOCOL.md §6), with global fetch and a
// timeout. Non-2xx rejects with the status, as Bolt 5 does. The URL is a bearer capability, so it
// never goes into an error message or a log line. While a job runs, each respond() goes through the
// job's scope (job-scope.ts): recorded across attempts, and counted against the URL's 5 uses and
// 30 minutes.
import { RespondError } from './errors';
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
    const body: RespondArguments = typeof message === 'string' ? { text: message } : message;
    const scope = currentJobScope();
    return scope ? scope.respond(url, body, (b) => post(url, b, timeoutMs)) : post(url, body, timeoutMs);
  };
}

async function post(url: string, body: RespondArguments, timeoutMs: number): Promise<RespondResult> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    const why = err instanceof Error && err.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : 'request failed';
    throw new RespondError('ERR_RESPOND_REQUEST', `response_url POST failed: ${why}`, undefined, { cause: err });
  }
  // Read the body either way so the connection is released.
  const text = await res.text().catch(() => '');
  if (res.status < 200 || res.status >= 300) {
    throw new RespondError('ERR_RESPOND_STATUS', `response_url answered HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`, res.status);
  }
  return { status: res.status };
}
