// The record of a job's side effects, kept in Redis across attempts so that a job run again (its
// worker died, an attempt failed later on) does not repeat what an earlier attempt already did.
// One hash per job; a field per call position. Before a call the field gets a pending marker,
// after it the result: on a later attempt a result is returned without calling Slack, and a
// pending marker says "an earlier attempt died during this call" — the ambiguous case.
// Values: `P` + JSON `{at, method}` (pending) or `D` + JSON result (done).
import type { RedisClient } from '@socketworks/runtime';
import { RedisScript } from './redis-script';
import type { StateKeys } from './state-keys';

export type EffectRecord = { state: 'done'; result: unknown } | { state: 'pending'; at: number; method: string };

export type BeginResult =
  /** An earlier attempt made this call: its result. */
  | { kind: 'done'; result: unknown }
  /** An earlier attempt started this call and never recorded an end: it may or may not have happened. */
  | { kind: 'pending'; at: number }
  /** A rate-limit pause is in force for this call's (team, method); nothing was written. */
  | { kind: 'paused'; remainingMs: number }
  /** First time: a pending marker is written now. */
  | { kind: 'fresh' };

/**
 * KEYS[1] effects hash, KEYS[2] (optional) rate-limit pause key.
 * ARGV[1] field, ARGV[2] pending marker, ARGV[3] hash TTL ms.
 * A recorded result wins over a pause (replaying needs no call); a pause wins over writing a marker.
 */
const BEGIN = new RedisScript(`
local recorded = redis.call('HGET', KEYS[1], ARGV[1])
if recorded and string.sub(recorded, 1, 1) == 'D' then return {'done', recorded} end
if #KEYS > 1 then
  local left = redis.call('PTTL', KEYS[2])
  if left > 0 then return {'paused', tostring(left)} end
end
if recorded then return {'pending', recorded} end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {'fresh', ''}
`);

export interface EffectLogOptions {
  redis: RedisClient;
  keys: StateKeys;
  /** How long a job's record is kept after its last new call. */
  ttlSeconds: number;
}

export class EffectLog {
  readonly #redis: RedisClient;
  readonly #keys: StateKeys;
  readonly #ttlMs: number;

  constructor(options: EffectLogOptions) {
    this.#redis = options.redis;
    this.#keys = options.keys;
    this.#ttlMs = options.ttlSeconds * 1000;
  }

  async begin(jobId: string, field: string, method: string, pauseKey?: string): Promise<BeginResult> {
    const pending = `P${JSON.stringify({ at: Date.now(), method })}`;
    const keys = pauseKey ? [this.#keys.effects(jobId), pauseKey] : [this.#keys.effects(jobId)];
    const [kind, value] = (await BEGIN.run(this.#redis, keys, [field, pending, this.#ttlMs])) as [string, string];
    switch (kind) {
      case 'done':
        return { kind: 'done', result: decode(value) };
      case 'paused':
        return { kind: 'paused', remainingMs: Number(value) };
      case 'pending': {
        const at = (decode(value) as { at?: unknown } | null)?.at;
        return { kind: 'pending', at: typeof at === 'number' ? at : Date.now() };
      }
      default:
        return { kind: 'fresh' };
    }
  }

  /** Records the call's result: later attempts return it instead of calling. */
  async commit(jobId: string, field: string, result: unknown): Promise<void> {
    await this.#redis.hset(this.#keys.effects(jobId), field, `D${JSON.stringify(result ?? null)}`);
  }

  /** The call certainly did not happen (Slack refused it): a later attempt calls again. */
  async abandon(jobId: string, field: string): Promise<void> {
    await this.#redis.hdel(this.#keys.effects(jobId), field);
  }

  /** The job completed: its record is no longer needed. */
  async forget(jobId: string): Promise<void> {
    await this.#redis.del(this.#keys.effects(jobId));
  }

  /** The whole record, for tests and inspection. */
  async read(jobId: string): Promise<Record<string, EffectRecord>> {
    const raw = await this.#redis.hgetall(this.#keys.effects(jobId));
    return Object.fromEntries(
      Object.entries(raw).map(([field, value]): [string, EffectRecord] => {
        if (value.startsWith('D')) return [field, { state: 'done', result: decode(value) }];
        const marker = decode(value) as { at?: number; method?: string } | null;
        return [field, { state: 'pending', at: marker?.at ?? 0, method: marker?.method ?? '' }];
      }),
    );
  }
}

/** A stored value without its one-letter state. */
function decode(value: string): unknown {
  return JSON.parse(value.slice(1)) as unknown;
}
