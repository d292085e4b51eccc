// The record of a job's side effects, kept in Redis across attempts so that a job run again (its
// worker died, an attempt failed later on) does not repeat what an earlier attempt already did.
// One hash per job; a field per call position. Before a call the field gets a pending marker,
// after it the result: on a later attempt a result is returned without calling Slack, and a
// pending marker says "an earlier attempt died during this call" — the ambiguous case.
// Values: `P` + JSON `{at, method}` (pending) or `D` + JSON result (done). Beside each, a field
// `<position>/fp` holds the call's fingerprint (its method and targets, job-scope.ts): a later
// attempt whose call at that position has another fingerprint (its target was read afresh and
// changed) does not get the other call's result but makes its own call. Records without one
// (written before fingerprints existed) are trusted as before.
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
  | { kind: 'fresh' }
  /**
   * An earlier attempt recorded another call at this position (another fingerprint): its record
   * was replaced by a pending marker for this call, which is to be made.
   */
  | { kind: 'mismatch'; previous: 'done' | 'pending' };

/** The field beside a position's record that holds its call's fingerprint. */
const fpField = (field: string): string => `${field}/fp`;

/**
 * KEYS[1] effects hash, KEYS[2] (optional) rate-limit pause key.
 * ARGV[1] field, ARGV[2] pending marker, ARGV[3] hash TTL ms, ARGV[4] fingerprint ('' = none).
 * A recorded result wins over a pause (replaying needs no call); a pause wins over writing a marker.
 * A record with another fingerprint is another call's: it counts as absent (`mismatch`).
 */
const BEGIN = new RedisScript(`
local recorded = redis.call('HGET', KEYS[1], ARGV[1])
local fpField = ARGV[1] .. '/fp'
local stale = false
if recorded and ARGV[4] ~= '' then
  local was = redis.call('HGET', KEYS[1], fpField)
  stale = was ~= false and was ~= ARGV[4]
end
if recorded and not stale and string.sub(recorded, 1, 1) == 'D' then return {'done', recorded} end
if #KEYS > 1 then
  local left = redis.call('PTTL', KEYS[2])
  if left > 0 then return {'paused', tostring(left)} end
end
if recorded and not stale then return {'pending', recorded} end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], fpField, ARGV[4]) end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
if stale then return {'mismatch', string.sub(recorded, 1, 1)} end
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

  /**
   * Before a call: its recorded result, a pending marker of an earlier attempt, a pause in force,
   * or a new pending marker. `fingerprint` (the call's method and targets) is stored with the
   * marker; a record of another fingerprint is not returned (`mismatch`).
   */
  async begin(jobId: string, field: string, method: string, pauseKey?: string, fingerprint = ''): Promise<BeginResult> {
    const pending = `P${JSON.stringify({ at: Date.now(), method })}`;
    const keys = pauseKey ? [this.#keys.effects(jobId), pauseKey] : [this.#keys.effects(jobId)];
    const [kind, value] = (await BEGIN.run(this.#redis, keys, [field, pending, this.#ttlMs, fingerprint])) as [string, string];
    switch (kind) {
      case 'done':
        return { kind: 'done', result: decode(value) };
      case 'paused':
        return { kind: 'paused', remainingMs: Number(value) };
      case 'pending': {
        const at = (decode(value) as { at?: unknown } | null)?.at;
        return { kind: 'pending', at: typeof at === 'number' ? at : Date.now() };
      }
      case 'mismatch':
        return { kind: 'mismatch', previous: value === 'D' ? 'done' : 'pending' };
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
    await this.#redis.hdel(this.#keys.effects(jobId), field, fpField(field));
  }

  /** The job completed: its record is no longer needed. */
  async forget(jobId: string): Promise<void> {
    await this.#redis.del(this.#keys.effects(jobId));
  }

  /** The whole record, for tests and inspection. */
  async read(jobId: string): Promise<Record<string, EffectRecord>> {
    const raw = await this.#redis.hgetall(this.#keys.effects(jobId));
    return Object.fromEntries(
      Object.entries(raw).filter(([field]) => !field.endsWith('/fp')).map(([field, value]): [string, EffectRecord] => {
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
