// `respond()`: a JSON POST to the payload's response_url (PROTOCOL.md §6), over keep-alive
// connections, with one deadline for the whole exchange. Non-2xx rejects with the status, as Bolt 5
// does. The URL is a bearer capability, so it never goes into an error message or a log line.
// While a job runs, each respond() goes through the job's scope (job-scope.ts): recorded across
// attempts, and counted against the URL's 5 uses and 30 minutes.
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
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

/**
 * One keep-alive agent per scheme for every response_url POST of the process. node:http rather than
 * global fetch: on the sync lane's answers fetch cost the worker about four times the CPU of a Web
 * API call (WHATWG streams, Headers, an AbortSignal timer per request).
 */
const AGENT_OPTIONS = {
  keepAlive: true,
  // Idle kept-alive connections are closed after 4 s, before the common 5 s server-side idle timeout.
  timeout: 4000,
};
const AGENTS = { http: new HttpAgent(AGENT_OPTIONS), https: new HttpsAgent(AGENT_OPTIONS) } as const;
/** Enough of an error body to say what went wrong; the rest is drained unread. */
const MAX_ERROR_TEXT = 200;

async function post(url: string, body: RespondArguments, timeoutMs: number): Promise<RespondResult> {
  let target: URL;
  try {
    target = new URL(url);
  } catch (err) {
    throw new RespondError('ERR_RESPOND_REQUEST', 'response_url POST failed: the response_url is not a URL', undefined, { cause: err });
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw new RespondError('ERR_RESPOND_REQUEST', `response_url POST failed: unsupported scheme ${target.protocol}`);
  }
  const payload = Buffer.from(JSON.stringify(body), 'utf8');
  const { status, text } = await exchange(target, payload, timeoutMs);
  if (status < 200 || status >= 300) {
    throw new RespondError('ERR_RESPOND_STATUS', `response_url answered HTTP ${status}${text ? `: ${text.slice(0, MAX_ERROR_TEXT)}` : ''}`, status);
  }
  return { status };
}

/** One POST, with one deadline for the whole exchange (connect, send, answer), as fetch's AbortSignal.timeout. */
function exchange(target: URL, payload: Buffer, timeoutMs: number): Promise<{ status: number; text: string }> {
  const secure = target.protocol === 'https:';
  const send = secure ? httpsRequest : httpRequest;
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const fail = (why: string, cause?: unknown) => reject(new RespondError('ERR_RESPOND_REQUEST', `response_url POST failed: ${why}`, undefined, { cause }));
    const attempt = (mayRetry: boolean) => {
      const req = send(target, {
        method: 'POST',
        agent: secure ? AGENTS.https : AGENTS.http,
        headers: { 'content-type': 'application/json; charset=utf-8', 'content-length': payload.length },
      });
      const timer = setTimeout(() => req.destroy(new RespondTimeout()), Math.max(0, deadline - Date.now()));
      req.on('error', (err) => {
        clearTimeout(timer);
        // A kept-alive connection the server closed just as it was reused: no answer came on it.
        // Node's documented remedy is one more try on a fresh connection (a reset on a fresh one
        // is a real failure, and the job's retry decides).
        if (mayRetry && req.reusedSocket && (err as NodeJS.ErrnoException).code === 'ECONNRESET') {
          attempt(false);
          return;
        }
        fail(err instanceof RespondTimeout ? `no answer within ${timeoutMs} ms` : 'request failed', err);
      });
      req.on('response', (res) => {
        // Read the body either way so the connection goes back to the agent.
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (text.length < MAX_ERROR_TEXT) text += chunk;
        });
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, text });
        });
        res.on('error', (err) => {
          clearTimeout(timer);
          fail('the answer broke off', err);
        });
      });
      req.end(payload);
    };
    attempt(true);
  });
}

class RespondTimeout extends Error {
  constructor() {
    super('response_url deadline passed');
  }
}
