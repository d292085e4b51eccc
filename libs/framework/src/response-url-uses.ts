// A response_url takes 5 POSTs within 30 minutes of the payload (PROTOCOL.md §6). Uses are counted
// in Redis per URL, so every attempt of a job and every worker share the count: a job retried after
// the URL is spent fails with a clear reason instead of POSTing to a dead URL.
import type { RedisClient } from '@socketworks/runtime';
import { RedisScript } from './redis-script';
import type { StateKeys } from './state-keys';

/** Slack's limits (PROTOCOL.md §6). */
export const RESPONSE_URL_MAX_USES = 5;
export const RESPONSE_URL_TTL_MS = 30 * 60 * 1000;

export type UseResult = { ok: true; use: number } | { ok: false; reason: 'exhausted' | 'expired' };

/**
 * KEYS[1] use counter. ARGV[1] max uses, ARGV[2] expiry (epoch ms), ARGV[3] now (epoch ms).
 * Returns the use number taken, -1 when expired, -2 when every use is taken (the count is not raised).
 */
const RESERVE = new RedisScript(`
if tonumber(ARGV[3]) >= tonumber(ARGV[2]) then return -1 end
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIREAT', KEYS[1], ARGV[2]) end
if n > tonumber(ARGV[1]) then
  redis.call('DECR', KEYS[1])
  return -2
end
return n
`);

export interface ResponseUrlUsesOptions {
  redis: RedisClient;
  keys: StateKeys;
  /** @defaultValue 5 */
  maxUses?: number;
  /** @defaultValue 1800000 (30 minutes) */
  ttlMs?: number;
}

export class ResponseUrlUses {
  readonly #redis: RedisClient;
  readonly #keys: StateKeys;
  readonly maxUses: number;
  readonly ttlMs: number;

  constructor(options: ResponseUrlUsesOptions) {
    this.#redis = options.redis;
    this.#keys = options.keys;
    this.maxUses = options.maxUses ?? RESPONSE_URL_MAX_USES;
    this.ttlMs = options.ttlMs ?? RESPONSE_URL_TTL_MS;
  }

  /**
   * Takes one use of `url`, valid until `receivedAt` + 30 min. A use is taken before the POST and
   * kept whatever the answer: whether Slack counted a failed POST is not documented, so the count
   * errs on the side of not calling a URL that may be dead.
   */
  async take(url: string, receivedAt: number, now = Date.now()): Promise<UseResult> {
    const n = Number(await RESERVE.run(this.#redis, [this.#keys.responseUrl(url)], [this.maxUses, receivedAt + this.ttlMs, now]));
    if (n === -1) return { ok: false, reason: 'expired' };
    if (n === -2) return { ok: false, reason: 'exhausted' };
    return { ok: true, use: n };
  }
}
