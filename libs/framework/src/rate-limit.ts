// Rate-limit pauses shared by every worker: after a 429 for (team, method), a key lives for
// Retry-After; any worker about to call that method for that team sees it and delays its job
// instead of calling Slack (PROTOCOL.md §7.1: only that method for that workspace is blocked).
import type { RedisClient } from '@socketworks/runtime';
import { RedisScript } from './redis-script';
import type { StateKeys } from './state-keys';

/**
 * Sets the pause unless a longer one is already in force (a later 429 never shortens it).
 * KEYS[1] pause key; ARGV[1] pause ms. Returns the pause now in force, in ms.
 */
const PAUSE = new RedisScript(`
local ms = tonumber(ARGV[1])
local left = redis.call('PTTL', KEYS[1])
if left >= ms then return left end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ms)
return ms
`);

export class RateLimitPauses {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: StateKeys,
  ) {}

  key(teamId: string, method: string): string {
    return this.keys.rateLimit(teamId, method);
  }

  /** Milliseconds the pause for (team, method) still lasts; 0 when there is none. */
  async remainingMs(teamId: string, method: string): Promise<number> {
    const left = await this.redis.pttl(this.key(teamId, method));
    return left > 0 ? left : 0;
  }

  /** Pauses (team, method) for `ms`; returns the pause now in force (longer if one already was). */
  async pause(teamId: string, method: string, ms: number): Promise<number> {
    const result = await PAUSE.run(this.redis, [this.key(teamId, method)], [Math.max(1, Math.ceil(ms))]);
    return Number(result);
  }
}
