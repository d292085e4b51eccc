// `/_sim/*`: the simulator's own JSON API for out-of-process drivers (the demo, the benchmark, the
// service tests). Inputs are validated here (they come from another process); tokens never leave.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { ENVELOPE_TYPES } from '@socketworks/protocol';
import { describeError } from '@socketworks/runtime';
import { SlackSimError } from './errors';
import { BodyTooLargeError, readBody, sendJson } from './http-io';
import { varyInjectInput } from './payloads';
import type { ApiCall, ApiLatencyRule, Delivery, InjectInput, InjectResult, RateLimitRule, SimStats, SocketInfo, StreamInput, StreamResult, AckRecord, ResponseUrlCall } from './types';

/** What the control API drives: the public surface of SlackSim. */
export interface SimControl {
  inject(input: InjectInput): InjectResult;
  injectStream(input: StreamInput): Promise<StreamResult>;
  refresh(opts?: { reason?: string; socketId?: string }): string[];
  drop(opts?: { socketId?: string }): string[];
  sendRaw(text: string, opts?: { socketId?: string }): string;
  setRateLimit(rule: RateLimitRule | null): void;
  setApiLatency(rule: ApiLatencyRule | null): void;
  setLinkDisabled(disabled: boolean): void;
  setConnectionsOpenError(error: string | null, opts?: { count?: number; httpStatus?: number }): void;
  reset(): void;
  deliveries(): Delivery[];
  acks(): AckRecord[];
  apiCalls(method?: string): ApiCall[];
  responseUrlCalls(): ResponseUrlCall[];
  sockets(): SocketInfo[];
  stats(): SimStats;
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;

const injectSchema = z.object({
  type: z.enum(ENVELOPE_TYPES),
  payload: z.record(z.unknown()),
  acceptsResponsePayload: z.boolean().optional(),
});

const schemas = {
  injectMany: z.array(injectSchema).max(10000),
  stream: z.object({
    count: z.number().int().min(1).max(1_000_000),
    ratePerSecond: z.number().positive().max(100_000),
    template: injectSchema,
    /** 'event' (default): each copy unique; 'none': identical payloads (same event_id), for dedupe tests. */
    vary: z.enum(['event', 'none']).optional(),
    maxDurationMs: z.number().int().positive().max(3_600_000).optional(),
  }),
  refresh: z.object({ reason: z.string().min(1).optional(), socketId: z.string().min(1).optional() }),
  drop: z.object({ socketId: z.string().min(1).optional() }),
  raw: z.object({ text: z.string(), socketId: z.string().min(1).optional() }),
  rateLimit: z.object({ method: z.string().min(1), count: z.number().int().min(1), retryAfterSeconds: z.number().int().min(0) }).nullable(),
  apiLatency: z.object({ method: z.string().min(1), ms: z.number().int().min(0).max(60_000) }).nullable(),
  linkDisabled: z.object({ disabled: z.boolean() }),
  openError: z.object({
    error: z.string().min(1).nullable(),
    count: z.number().int().min(1).optional(),
    httpStatus: z.number().int().min(200).max(599).optional(),
  }),
};

class ControlError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
  ) {
    super(message);
  }
}

type Route = (body: unknown, query: URLSearchParams) => unknown;

export class ControlApi {
  private readonly routes: Record<string, Route>;

  constructor(
    private readonly sim: SimControl,
    private readonly badRequest: () => void,
  ) {
    this.routes = {
      'POST /_sim/inject': (b) => {
        // Two schemas rather than a union: a union's error would not say which field is wrong.
        if (Array.isArray(b)) return parse(schemas.injectMany, b).map((i) => sim.inject(i));
        return sim.inject(parse(injectSchema, b));
      },
      'POST /_sim/stream': (b) => {
        const { count, ratePerSecond, template, vary, maxDurationMs } = parse(schemas.stream, b);
        const make = vary === 'none' ? () => template : (i: number) => varyInjectInput(template, i);
        return sim.injectStream({ count, ratePerSecond, make, ...(maxDurationMs !== undefined ? { maxDurationMs } : {}) });
      },
      'POST /_sim/refresh': (b) => ({ ok: true, socketIds: sim.refresh(parse(schemas.refresh, b ?? {})) }),
      'POST /_sim/drop': (b) => ({ ok: true, socketIds: sim.drop(parse(schemas.drop, b ?? {})) }),
      'POST /_sim/raw': (b) => {
        const { text, socketId } = parse(schemas.raw, b);
        return { ok: true, socketId: sim.sendRaw(text, socketId !== undefined ? { socketId } : {}) };
      },
      'PUT /_sim/rate-limit': (b) => {
        sim.setRateLimit(parse(schemas.rateLimit, b));
        return { ok: true };
      },
      'PUT /_sim/api-latency': (b) => {
        sim.setApiLatency(parse(schemas.apiLatency, b));
        return { ok: true };
      },
      'PUT /_sim/link-disabled': (b) => {
        sim.setLinkDisabled(parse(schemas.linkDisabled, b).disabled);
        return { ok: true };
      },
      'PUT /_sim/connections-open-error': (b) => {
        const { error, count, httpStatus } = parse(schemas.openError, b);
        sim.setConnectionsOpenError(error, { ...(count !== undefined ? { count } : {}), ...(httpStatus !== undefined ? { httpStatus } : {}) });
        return { ok: true };
      },
      'POST /_sim/reset': () => {
        sim.reset();
        return { ok: true };
      },
      'GET /_sim/deliveries': (_b, q) => {
        const offset = Number(q.get('offset') ?? 0);
        const rows = sim.deliveries().slice(Number.isInteger(offset) && offset > 0 ? offset : 0);
        // ?payloads=false keeps a benchmark's poll small.
        return q.get('payloads') === 'false' ? rows.map(({ payload: _p, ...rest }) => rest) : rows;
      },
      'GET /_sim/acks': () => sim.acks(),
      'GET /_sim/api-calls': (_b, q) => sim.apiCalls(q.get('method') ?? undefined).map(({ token: _secret, ...rest }) => rest),
      'GET /_sim/response-url-calls': () => sim.responseUrlCalls(),
      'GET /_sim/sockets': () => sim.sockets(),
      'GET /_sim/stats': () => sim.stats(),
    };
  }

  async handle(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> {
    const route = this.routes[`${req.method ?? 'GET'} ${path}`];
    if (!route) {
      req.resume();
      const known = Object.keys(this.routes).some((key) => key.endsWith(` ${path}`));
      return sendJson(res, known ? 405 : 404, { ok: false, error: known ? 'method_not_allowed' : 'not_found', message: `${req.method} ${path}` });
    }
    try {
      const body = req.method === 'GET' ? (req.resume(), undefined) : await this.readJson(req);
      sendJson(res, 200, await route(body, query));
    } catch (err) {
      if (err instanceof ControlError) {
        if (err.status === 400 || err.status === 413) this.badRequest();
        return sendJson(res, err.status, { ok: false, error: err.error, message: err.message });
      }
      if (err instanceof SlackSimError) {
        const status = err.code === 'ERR_SIM_NO_SOCKET' ? 409 : 400;
        return sendJson(res, status, { ok: false, error: err.code, message: err.message });
      }
      throw err;
    }
  }

  private async readJson(req: IncomingMessage): Promise<unknown> {
    let text: string;
    try {
      text = await readBody(req, MAX_BODY_BYTES);
    } catch (err) {
      if (err instanceof BodyTooLargeError) throw new ControlError(413, 'request_too_large', err.message);
      throw new ControlError(400, 'request_failed', describeError(err).message);
    }
    if (text.trim() === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new ControlError(400, 'invalid_json', 'request body is not valid JSON');
    }
  }
}

function parse<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, body: unknown): T {
  const result = schema.safeParse(body);
  if (!result.success) {
    const where = result.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
    throw new ControlError(400, 'invalid_request', where);
  }
  return result.data;
}
