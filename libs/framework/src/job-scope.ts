// What the framework keeps for one job across its attempts and workers, and the call path every
// `client` / `say` / `respond` call of a listener takes while the job runs:
//
//   recorded by an earlier attempt?  → return that result, call nothing
//     (only if that call had the same fingerprint — method and targets — else: warn, call)
//   (team, method) paused by a 429?  → RateLimitedError (the worker delays the job), call nothing
//   pending marker (a worker died mid-call)?
//       chat.postMessage → look the message up by its metadata tag; found → record it, return it
//       anything else    → call again (at-least-once), with a warning
//   call → 429: pause (team, method) for Retry-After in Redis, RateLimitedError
//        → result: record it
//
// A call refused before it was made (a 429, a pause, Redis unreachable before the call) is
// remembered (`refusal`): `dispatch` rethrows it after the listeners settle even if the app caught
// it, so the job runs again instead of completing without that call.
//
// The scope travels with the listener's async work in an AsyncLocalStorage, so the cached
// WebClient per token (web-clients.ts) and `respond` find it without per-job client objects.
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { ErrorCode as WebApiErrorCode, type WebAPICallResult } from '@slack/web-api';
import type { RedisClient } from '@socketworks/runtime';
import type { SlackJobData } from '@socketworks/protocol';
import { describeError, type Logger } from '@socketworks/runtime';
import { EffectLog } from './effects';
import { FrameworkError, RateLimitedError, RespondError } from './errors';
import { identityOf, toIncoming } from './incoming';
import { RateLimitPauses } from './rate-limit';
import { ResponseUrlUses, type UseResult } from './response-url-uses';
import { stateKeys } from './state-keys';
import type { RespondArguments, RespondResult } from './types';

/** The message metadata `event_type` that tags each post with its job and call position. */
export const EFFECT_EVENT_TYPE = 'socketworks_effect';

/**
 * Methods that only read: not recorded (a later attempt reads afresh) but still held back by a
 * rate-limit pause. `files.getUploadURLExternal` is here too: a fresh upload URL per attempt is
 * harmless, `files.completeUploadExternal` (the share) is recorded.
 */
const READ_ONLY = /^(auth\.test|search\..+|.+\.(list|info|history|replies|members|lookupByEmail|get[A-Za-z]*))$/;

/** How far before the pending marker the message lookup starts (clock skew between us and Slack). */
const LOOKUP_LOOKBACK_MS = 120_000;
const LOOKUP_PAGE_LIMIT = 200;
const LOOKUP_MAX_PAGES = 10;

/** The longest Retry-After honoured: Slack asks for seconds to minutes; more is a broken value. */
const MAX_RETRY_AFTER_MS = 3_600_000;

const storage = new AsyncLocalStorage<JobScope>();

/** The scope of the job running in this async context, if any. */
export function currentJobScope(): JobScope | undefined {
  return storage.getStore();
}

export interface JobStateOptions {
  /** A 'command'-role connection (short retries), owned by the caller. */
  redis: RedisClient;
  /** `QUEUE_PREFIX`. @defaultValue 'socketworks' */
  keyPrefix?: string;
  /** How long a job's recorded effects are kept. @defaultValue 3600 (the queues' dedupe window) */
  effectsTtlSeconds?: number;
  /** Called when a re-run's call differs in its targets from the one recorded at its position. */
  onReplayMismatch?: (info: ReplayMismatchInfo) => void;
}

export interface ReplayMismatchInfo {
  /** The Web API method, e.g. `chat.postMessage`. */
  method: string;
}

/**
 * The arguments that say what a call acts on. Two calls at one position with the same method and
 * these are taken for the same call (their text may differ: a re-run may render it afresh); a
 * different target is another call, made rather than answered with the recorded one's result.
 */
const TARGET_FIELDS = ['channel', 'thread_ts', 'ts', 'user', 'users', 'trigger_id', 'view_id', 'external_id', 'timestamp', 'file', 'name'] as const;

/** The method and targets of a call, hashed (16 hex characters; the values may be personal data). */
export function callFingerprint(method: string, options: Record<string, unknown>): string {
  const targets = TARGET_FIELDS.flatMap((k) => {
    const v = options[k];
    return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? [[k, v]] : [];
  });
  return createHash('sha256').update(JSON.stringify([method, targets])).digest('hex').slice(0, 16);
}

export type RawApiCall = (method: string, options: Record<string, unknown>) => Promise<WebAPICallResult>;

/** The Redis side, one per App. */
export class JobState {
  readonly effects: EffectLog;
  readonly pauses: RateLimitPauses;
  readonly responseUrlUses: ResponseUrlUses;
  readonly onReplayMismatch: ((info: ReplayMismatchInfo) => void) | undefined;

  constructor(options: JobStateOptions) {
    this.onReplayMismatch = options.onReplayMismatch;
    const keys = stateKeys(options.keyPrefix ?? 'socketworks');
    this.effects = new EffectLog({ redis: options.redis, keys, ttlSeconds: options.effectsTtlSeconds ?? 3600 });
    this.pauses = new RateLimitPauses(options.redis, keys);
    this.responseUrlUses = new ResponseUrlUses({ redis: options.redis, keys });
  }

  /** Runs `fn` (one attempt of the job) with a fresh scope: call positions count from 0 again. */
  run<T>(data: SlackJobData, jobId: string, logger: Logger, fn: () => Promise<T>): Promise<T> {
    return storage.run(new JobScope(this, jobId, teamOf(data), data.received_at, logger), fn);
  }

  /** The job completed: drop its record. */
  forget(jobId: string): Promise<void> {
    return this.effects.forget(jobId);
  }
}

/** The workspace a job's calls count against: team, else enterprise (org-wide install). */
function teamOf(data: SlackJobData): string {
  const incoming = toIncoming(data);
  if (incoming.kind === 'unroutable') return 'unknown';
  const identity = identityOf(incoming);
  return identity.teamId ?? identity.enterpriseId ?? 'unknown';
}

/** One attempt of one job. */
export class JobScope {
  readonly #counters = new Map<string, number>();
  #refusal: FrameworkError | undefined;

  constructor(
    private readonly state: JobState,
    readonly jobId: string,
    readonly teamId: string,
    readonly receivedAt: number,
    private readonly logger: Logger,
  ) {}

  /**
   * The first error this scope threw for a call it never made: a {@link RateLimitedError} (Slack's
   * 429, or a pause an earlier 429 set) or `ERR_JOB_STATE_UNAVAILABLE` before the call. Bolt apps
   * often catch and log their calls' errors; `dispatch` rethrows this after the listeners settle,
   * so the job runs again (delayed, for a rate limit) instead of completing without the call.
   */
  get refusal(): FrameworkError | undefined {
    return this.#refusal;
  }

  /** Remembers `err` as the refusal (the first one wins) and returns it, for `throw this.#refuse(…)`. */
  #refuse<E extends FrameworkError>(err: E): E {
    this.#refusal ??= err;
    return err;
  }

  /** {@link guard} for a step before the call: a Redis failure there means the call was never made. */
  async #guardBefore<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await guard(op);
    } catch (err) {
      throw err instanceof FrameworkError ? this.#refuse(err) : err;
    }
  }

  /** `<kind>#<n>`: the n-th call of this kind in this attempt (per kind, so listeners calling different methods concurrently keep their positions). */
  #position(kind: string): string {
    const n = this.#counters.get(kind) ?? 0;
    this.#counters.set(kind, n + 1);
    return `${kind}#${n}`;
  }

  /** A Web API call of a listener (through `client` or `say`). `raw` sends it. */
  async webApiCall(method: string, options: Record<string, unknown>, raw: RawApiCall): Promise<WebAPICallResult> {
    const { effects, pauses } = this.state;
    if (READ_ONLY.test(method)) {
      const left = await this.#guardBefore(() => pauses.remainingMs(this.teamId, method));
      if (left > 0) throw this.#refuse(new RateLimitedError(method, this.teamId, left, true));
      return this.#send(method, options, raw);
    }
    const position = this.#position(method);
    const tag = `${this.jobId}:${position}`;
    const fingerprint = callFingerprint(method, options);
    const begin = await this.#guardBefore(() => effects.begin(this.jobId, position, method, pauses.key(this.teamId, method), fingerprint));
    switch (begin.kind) {
      case 'done':
        this.logger.debug({ method, position }, 'an earlier attempt made this call; returning its recorded result');
        return begin.result as WebAPICallResult;
      case 'paused':
        throw this.#refuse(new RateLimitedError(method, this.teamId, begin.remainingMs, true));
      case 'pending': {
        if (method === 'chat.postMessage' && options.metadata === undefined) {
          const found = await this.#findPosted(options, tag, begin.at, raw);
          if (found) {
            await guard(() => effects.commit(this.jobId, position, found));
            this.logger.info({ method, position }, 'an earlier attempt posted this message before its worker stopped; found by its metadata, not posting again');
            return found;
          }
        } else {
          this.logger.warn({ method, position }, 'an earlier attempt may have made this call (its worker stopped mid-call); calling again');
        }
        break;
      }
      case 'mismatch':
        // The run branched on data read afresh (another channel, user, message): the call recorded
        // here was another one, whose result would be wrong and whose effect is not this one's.
        this.logger.warn(
          { method, position, previous: begin.previous },
          'an earlier attempt made a call with other targets at this position; making this call instead of replaying that one',
        );
        this.#reportMismatch(method);
        break;
      case 'fresh':
        break;
    }
    const args = method === 'chat.postMessage' && options.metadata === undefined ? { ...options, metadata: effectMetadata(tag) } : options;
    let result: WebAPICallResult;
    try {
      result = await this.#send(method, args, raw);
    } catch (err) {
      // Slack answered (an error or a 429): the call did not happen, a later attempt makes it. No
      // answer (network, 5xx): it may have happened, so the pending marker stays.
      if (!isAmbiguousWebApiFailure(err)) await this.#abandon(position);
      throw err;
    }
    await guard(() => effects.commit(this.jobId, position, result));
    return result;
  }

  /** A `respond()` of a listener. `post` sends it. */
  async respond(url: string, body: RespondArguments, post: (body: RespondArguments) => Promise<RespondResult>): Promise<RespondResult> {
    const { effects, responseUrlUses } = this.state;
    const position = this.#position('respond');
    const begin = await this.#guardBefore(() => effects.begin(this.jobId, position, 'respond'));
    if (begin.kind === 'done') {
      this.logger.debug({ position }, 'an earlier attempt made this respond(); returning its recorded result');
      return begin.result as RespondResult;
    }
    if (begin.kind === 'pending') {
      // A response_url message carries no tag to look up: this is at-least-once (README).
      this.logger.warn({ position }, 'an earlier attempt may have posted this respond() (its worker stopped mid-call); posting again');
    }
    let use: UseResult;
    try {
      use = await this.#guardBefore(() => responseUrlUses.take(url, this.receivedAt));
    } catch (err) {
      // Not posted: clear the marker so a later attempt posts without a warning.
      await this.#abandon(position);
      throw err;
    }
    if (!use.ok) {
      await this.#abandon(position);
      const { maxUses, ttlMs } = responseUrlUses;
      throw use.reason === 'exhausted'
        ? new RespondError('ERR_RESPOND_URL_EXHAUSTED', `response_url was used ${maxUses} times already (its limit); post with chat.postMessage instead`)
        : new RespondError('ERR_RESPOND_URL_EXPIRED', `response_url expired (${Math.round(ttlMs / 60000)} minutes after the payload arrived); post with chat.postMessage instead`);
    }
    let result: RespondResult;
    try {
      result = await post(body);
    } catch (err) {
      const ambiguous = err instanceof RespondError && (err.status === undefined || err.status >= 500);
      if (!ambiguous) await this.#abandon(position);
      throw err;
    }
    await guard(() => effects.commit(this.jobId, position, result));
    return result;
  }

  /** Sends; a 429 pauses (team, method) for every worker and becomes a RateLimitedError. */
  async #send(method: string, options: Record<string, unknown>, raw: RawApiCall): Promise<WebAPICallResult> {
    try {
      return await raw(method, options);
    } catch (err) {
      const retryAfter = (err as { code?: unknown; retryAfter?: unknown }).retryAfter;
      if ((err as { code?: unknown }).code !== WebApiErrorCode.RateLimitedError || typeof retryAfter !== 'number') throw err;
      const ms = Math.min(Math.max(1, retryAfter) * 1000, MAX_RETRY_AFTER_MS);
      let inForce = ms;
      try {
        inForce = await this.state.pauses.pause(this.teamId, method, ms);
      } catch (pauseErr) {
        // Going on is safe: this job is delayed for Retry-After anyway; other workers meet Slack's
        // 429 themselves until Redis is back.
        this.logger.warn({ method, err: describeError(pauseErr) }, 'could not record the rate-limit pause in Redis');
      }
      throw this.#refuse(new RateLimitedError(method, this.teamId, inForce, false, { cause: err }));
    }
  }

  #reportMismatch(method: string): void {
    try {
      this.state.onReplayMismatch?.({ method });
    } catch (err) {
      // Going on is safe: the hook only counts; the call is made either way.
      this.logger.warn({ method, err: describeError(err) }, 'the replay-mismatch hook threw');
    }
  }

  async #abandon(position: string): Promise<void> {
    try {
      await this.state.effects.abandon(this.jobId, position);
    } catch (err) {
      // Going on is safe: the marker stays pending, so a later attempt treats the call as possibly
      // made (a lookup for posts, a repeat otherwise) — the same as a worker that died here.
      this.logger.warn({ position, err: describeError(err) }, 'could not clear a pending effect marker');
    }
  }

  /**
   * Looks for the message an earlier attempt may have posted, by the metadata tag it carried:
   * `conversations.replies` for a thread reply, `conversations.history` otherwise, from a little
   * before the pending marker. Returns a chat.postMessage-shaped result, or undefined.
   */
  async #findPosted(options: Record<string, unknown>, tag: string, pendingAt: number, raw: RawApiCall): Promise<WebAPICallResult | undefined> {
    const channel = options.channel;
    if (typeof channel !== 'string') return undefined;
    const threadTs = typeof options.thread_ts === 'string' ? options.thread_ts : undefined;
    const method = threadTs ? 'conversations.replies' : 'conversations.history';
    const oldest = ((pendingAt - LOOKUP_LOOKBACK_MS) / 1000).toFixed(6);
    let cursor: string | undefined;
    for (let page = 0; page < LOOKUP_MAX_PAGES; page++) {
      let result: WebAPICallResult & { messages?: unknown; has_more?: unknown; channel?: unknown };
      try {
        result = await this.#send(
          method,
          {
            channel,
            ...(threadTs ? { ts: threadTs } : {}),
            oldest,
            limit: LOOKUP_PAGE_LIMIT,
            include_all_metadata: true,
            ...(cursor ? { cursor } : {}),
          },
          raw,
        );
      } catch (err) {
        if (err instanceof RateLimitedError) throw err;
        const slackError = (err as { data?: { error?: unknown } }).data?.error;
        // No such thread: nothing was posted into it.
        if (slackError === 'thread_not_found') return undefined;
        // Without the history scopes (or for a DM addressed by user id) the post cannot be found:
        // it is made again, at-least-once, as without this lookup.
        this.logger.warn({ method, err: describeError(err) }, 'could not look up whether an earlier attempt posted this message; posting it again');
        return undefined;
      }
      const messages = Array.isArray(result.messages) ? (result.messages as Array<Record<string, unknown>>) : [];
      const hit = messages.find((m) => {
        const meta = m.metadata as { event_type?: unknown; event_payload?: { key?: unknown } } | undefined;
        return meta?.event_type === EFFECT_EVENT_TYPE && meta.event_payload?.key === tag;
      });
      if (hit) return { ok: true, channel, ts: hit.ts, message: hit } as WebAPICallResult;
      cursor = (result.response_metadata as { next_cursor?: string } | undefined)?.next_cursor || undefined;
      if (!result.has_more || !cursor) return undefined;
    }
    this.logger.warn({ method }, 'gave up looking for an earlier post after the page limit; posting it again');
    return undefined;
  }
}

/** The message metadata a post carries so a later attempt can find it (PROTOCOL.md §8 on retries). */
export function effectMetadata(key: string): { event_type: string; event_payload: { key: string } } {
  return { event_type: EFFECT_EVENT_TYPE, event_payload: { key } };
}

/** No answer came (network, timeout) or a 5xx: Slack may have acted. */
function isAmbiguousWebApiFailure(err: unknown): boolean {
  const e = err as { code?: unknown; statusCode?: unknown };
  if (e.code === WebApiErrorCode.RequestError) return true;
  return e.code === WebApiErrorCode.HTTPError && typeof e.statusCode === 'number' && e.statusCode >= 500;
}

/** A Redis failure of the job state, wrapped so the failed set says what it was (transient: retried). */
async function guard<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    throw new FrameworkError('ERR_JOB_STATE_UNAVAILABLE', `job state in Redis unavailable: ${describeError(err).message}`, { cause: err });
  }
}
