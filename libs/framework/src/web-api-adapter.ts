// How the Web API clients send their HTTP: an axios adapter (@slack/web-api's `adapter` option)
// that sends Slack's form-encoded and JSON calls through http-exchange.ts (node:http, kept-alive
// connections) and hands every other request — file uploads, binary answers, proxies, TLS options
// — to axios' own adapter. axios still builds the request and parses the answer; only the
// transport is ours. Per chat.postMessage against a local server this cut the client's CPU from
// ~290 µs to ~190 µs (6,000 calls, 32 at a time, two runs each; 2-core machine); in
// `npm run bench -- --only steady --systems socketworks` at 2,000/s the two workers spent
// 0.66–0.68 ms of CPU per answered envelope instead of 0.75–0.79 ms (two runs each, alternating).
import axios, { AxiosError, AxiosHeaders, type AxiosAdapter, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios';
import type { Agent } from 'node:http';
import { exchange, ExchangeError } from './http-exchange';

const axiosOwn = axios.getAdapter('http');

/** Config keys that ask for something only axios' own adapter does. */
const NEEDS_AXIOS: ReadonlyArray<keyof InternalAxiosRequestConfig | 'ca' | 'cert' | 'key' | 'pfx' | 'passphrase'> = [
  'params',
  'signal',
  'cancelToken',
  'onUploadProgress',
  'onDownloadProgress',
  'socketPath',
  'auth',
  'ca',
  'cert',
  'key',
  'pfx',
  'passphrase',
];

/**
 * Whether a request is a plain Web API call this adapter sends itself: a string body (or none),
 * an answer read as text or JSON, no proxy, and none of {@link NEEDS_AXIOS}.
 */
export function isPlainCall(config: InternalAxiosRequestConfig): boolean {
  if (config.data !== undefined && typeof config.data !== 'string') return false;
  if (config.responseType !== undefined && config.responseType !== 'json' && config.responseType !== 'text') return false;
  if (config.proxy !== undefined && config.proxy !== false) return false;
  const record = config as unknown as Record<string, unknown>;
  return NEEDS_AXIOS.every((key) => record[key] === undefined || record[key] === null);
}

/** The adapter for `new WebClient(token, { adapter })`. */
export const webApiAdapter: AxiosAdapter = async (config) => {
  if (!isPlainCall(config)) return axiosOwn(config);
  // Joined as axios joins them (a base URL without its trailing slash included).
  const url = new URL(axios.getUri(config));
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return axiosOwn(config);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(AxiosHeaders.from(config.headers).toJSON() as Record<string, unknown>)) {
    if (value !== undefined && value !== null && value !== false) headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  const agent = (url.protocol === 'https:' ? config.httpsAgent : config.httpAgent) as Agent | undefined;
  try {
    const answer = await exchange({
      url,
      method: (config.method ?? 'get').toUpperCase(),
      headers,
      body: typeof config.data === 'string' ? Buffer.from(config.data, 'utf8') : undefined,
      timeoutMs: config.timeout ?? 0,
      agent,
      // No second try inside the client: a Web API call may not be safe to send twice (a post),
      // and a failed job's retry first looks for what an earlier attempt posted (job-scope.ts).
      retryOnStaleConnection: false,
    });
    const response: AxiosResponse = {
      data: answer.text,
      status: answer.status,
      statusText: answer.statusMessage,
      headers: AxiosHeaders.from(answer.headers as Record<string, string>),
      config,
      request: answer.request,
    };
    return response;
  } catch (err) {
    if (!(err instanceof ExchangeError)) throw err;
    if (err.kind === 'timeout') {
      const code = config.transitional?.clarifyTimeoutError ? AxiosError.ETIMEDOUT : AxiosError.ECONNABORTED;
      throw new AxiosError(`timeout of ${config.timeout}ms exceeded`, code, config, err.request);
    }
    const cause = err.cause instanceof Error ? err.cause : err;
    throw AxiosError.from(cause, (cause as NodeJS.ErrnoException).code, config, err.request);
  }
};
