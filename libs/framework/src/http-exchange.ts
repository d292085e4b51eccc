// One HTTP request over the process's kept-alive connections, with one deadline for the whole
// exchange (connect, send, answer). respond() (response_url POSTs) and the Web API client's
// adapter (web-api-adapter.ts) both send through it: node:http directly costs a fraction of the
// CPU of global fetch or axios' own adapter per request.
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

const AGENT_OPTIONS = {
  keepAlive: true,
  // Idle kept-alive connections are closed after 4 s, before the common 5 s server-side idle timeout.
  timeout: 4000,
};
/** One keep-alive agent per scheme for the whole process. */
const KEEP_ALIVE_AGENTS = { http: new HttpAgent(AGENT_OPTIONS), https: new HttpsAgent(AGENT_OPTIONS) } as const;

export interface ExchangeRequest {
  /** http: or https: */
  url: URL;
  method: string;
  headers: OutgoingHttpHeaders;
  body?: Buffer;
  /** For the whole exchange; 0 = none. */
  timeoutMs: number;
  /** Keep at most about this many characters of the answer; the rest is read and dropped. @defaultValue all of it */
  maxText?: number;
  /**
   * One more try on a fresh connection when a reused one is reset before any answer: Node's
   * documented remedy for a server closing an idle connection just as it is reused. Only for
   * requests that may be sent twice. @defaultValue false
   */
  retryOnStaleConnection?: boolean;
  /** Instead of {@link KEEP_ALIVE_AGENTS}. */
  agent?: HttpAgent;
}

export interface ExchangeAnswer {
  status: number;
  statusMessage: string;
  headers: IncomingHttpHeaders;
  text: string;
  request: ClientRequest;
}

/** How an exchange failed: no answer in time, the request failed, or the answer broke off. */
export class ExchangeError extends Error {
  constructor(
    readonly kind: 'timeout' | 'request' | 'answer',
    message: string,
    readonly request: ClientRequest,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ExchangeError';
  }
}

export function exchange(x: ExchangeRequest): Promise<ExchangeAnswer> {
  const secure = x.url.protocol === 'https:';
  const send = secure ? httpsRequest : httpRequest;
  const agent = x.agent ?? (secure ? KEEP_ALIVE_AGENTS.https : KEEP_ALIVE_AGENTS.http);
  const deadline = x.timeoutMs > 0 ? Date.now() + x.timeoutMs : undefined;
  const maxText = x.maxText ?? Infinity;
  return new Promise((resolve, reject) => {
    const attempt = (mayRetry: boolean) => {
      const headers = x.body ? { ...x.headers, 'content-length': x.body.length } : x.headers;
      const req = send(x.url, { method: x.method, agent, headers });
      let timedOut = false;
      const timer =
        deadline === undefined
          ? undefined
          : setTimeout(() => {
              timedOut = true;
              req.destroy(new Error('exchange deadline passed'));
            }, Math.max(0, deadline - Date.now()));
      req.on('error', (err) => {
        clearTimeout(timer);
        if (timedOut) return reject(new ExchangeError('timeout', `no answer within ${x.timeoutMs} ms`, req, { cause: err }));
        if (mayRetry && req.reusedSocket && (err as NodeJS.ErrnoException).code === 'ECONNRESET') return attempt(false);
        reject(new ExchangeError('request', `request failed: ${err.message}`, req, { cause: err }));
      });
      req.on('response', (res) => {
        // Read the body either way, so the connection goes back to the agent.
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (text.length < maxText) text += chunk;
        });
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, statusMessage: res.statusMessage ?? '', headers: res.headers, text, request: req });
        });
        res.on('error', (err) => {
          clearTimeout(timer);
          reject(timedOut ? new ExchangeError('timeout', `no answer within ${x.timeoutMs} ms`, req, { cause: err }) : new ExchangeError('answer', 'the answer broke off', req, { cause: err }));
        });
      });
      req.end(x.body);
    };
    attempt(x.retryOnStaleConnection ?? false);
  });
}
