// A lease on one Redis key: at most one owner at a time, a fencing token that grows with every
// change of owner, and a local validity bound.
//
// Why the token is not a plain INCR: a counter restarts at 1 when Redis loses data (a restart
// without persistence, a failover that loses unreplicated writes), and a new owner would get a
// token smaller than the one an old owner still holds. The token is the larger of the counter's
// next value and Redis' own clock in microseconds (TIME), so it keeps growing after such a loss.
// Microseconds, not milliseconds: two scripts on one Redis cannot both run within one
// microsecond, so a token is never ahead of the clock by more than a few microseconds, and any
// token issued after a loss (which takes far longer than that) is past every earlier one.
//
// Why the local bound: a process can be paused (GC, SIGSTOP, a frozen VM) past its TTL while
// another owner takes over. When it resumes, timers and buffered socket frames race; anything it
// does "as owner" must first check `isValid()`, which compares a monotonic clock against the time
// the last successful acquire/renew was *sent* plus the TTL minus a drift margin. Redis may have
// expired the key sooner than that, never later.
import type { Cluster, Redis } from 'ioredis';

export interface LeaseLockOptions {
  /** A standalone Redis or a Redis Cluster (the key and its fence share the key's hash tag). */
  redis: Redis | Cluster;
  /** The lease key. Its fencing counter lives at `<key>:fence`. */
  key: string;
  /** Who holds the lease (a replica id); stored in the key with the token. */
  ownerId: string;
  /** Lease time-to-live in Redis: a positive whole number (RangeError otherwise). */
  ttlMs: number;
  /**
   * Subtracted from the TTL for the local validity bound (clock drift between us and Redis,
   * network delay of the reply).
   * @defaultValue max(100, ttlMs / 10)
   */
  driftMs?: number;
}

export interface Lease {
  ownerId: string;
  /**
   * Fencing token: strictly greater than every token issued before for this key while Redis keeps
   * the key's `:fence` counter. Each token is max(counter + 1, Redis TIME in microseconds), so
   * after the counter is lost (Redis restarted without persistence, a failover lost writes) a new
   * token is still greater than every earlier one, provided Redis' clock has not gone back since
   * (on failover: the new primary's clock is not behind the old one's by more than the failover
   * took). Tokens are about 1.8e15 today: safe integers (below 2^53) until the year 2255.
   */
  token: number;
  /** Monotonic time (performance.now()) until which this process may act as owner. */
  validUntil: number;
}

export interface LeaseHolder {
  ownerId: string;
  token: number;
  /** Milliseconds left on the key in Redis. */
  ttlMs: number;
}

// The next fencing token of a counter: max(INCR, Redis TIME in µs), written back to the counter.
// TIME in a script that writes is allowed since Redis 5 with effects replication, the only mode
// of Redis 7 (replicas and the AOF get the SET with its value, not the TIME call). Lua numbers are
// doubles: exact for integers up to 2^53, and %d prints the token without an exponent.
const NEXT_TOKEN = `
local function next_token(fence)
  local counted = redis.call('INCR', fence)
  local now = redis.call('TIME')
  local now_us = tonumber(now[1]) * 1000000 + tonumber(now[2])
  if now_us > counted then
    redis.call('SET', fence, string.format('%d', now_us))
    return now_us
  end
  return counted
end`;

// KEYS[1] lease, KEYS[2] fence counter; ARGV[1] owner, ARGV[2] ttl ms. Returns the token or nil.
const ACQUIRE = `${NEXT_TOKEN}
if redis.call('EXISTS', KEYS[1]) == 1 then return nil end
local token = next_token(KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. string.format('%d', token), 'PX', ARGV[2])
return token`;

// KEYS[1] lease; ARGV[1] owner|token, ARGV[2] ttl ms. 1 if still ours and extended, else 0.
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0`;

// KEYS[1] lease; ARGV[1] owner|token. 1 if it was ours and is now free.
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

// KEYS[1] lease, KEYS[2] fence; ARGV[1] current owner|token, ARGV[2] new owner, ARGV[3] ttl ms.
// Moves the lease in one step (no moment without an owner). Returns the new token or nil.
const TRANSFER = `${NEXT_TOKEN}
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return nil end
local token = next_token(KEYS[2])
redis.call('SET', KEYS[1], ARGV[2] .. '|' .. string.format('%d', token), 'PX', ARGV[3])
return token`;

export class LeaseLock {
  private readonly driftMs: number;

  constructor(private readonly options: LeaseLockOptions) {
    // Redis' PX takes a positive whole number; a fraction would only fail later, at each acquire.
    if (!Number.isSafeInteger(options.ttlMs) || options.ttlMs <= 0) throw new RangeError('ttlMs must be a positive whole number of milliseconds');
    this.driftMs = options.driftMs ?? Math.max(100, Math.floor(options.ttlMs / 10));
    if (this.driftMs >= options.ttlMs) throw new RangeError('driftMs must be smaller than ttlMs');
  }

  get key(): string {
    return this.options.key;
  }

  /** Takes the lease if nobody holds it. */
  async acquire(): Promise<Lease | null> {
    const sentAt = performance.now();
    const token = (await this.options.redis.eval(ACQUIRE, 2, this.options.key, `${this.options.key}:fence`, this.options.ownerId, this.options.ttlMs)) as number | null;
    return token === null ? null : this.lease(this.options.ownerId, Number(token), sentAt);
  }

  /** Extends a lease we hold. Resolves the renewed lease, or null if it is no longer ours. */
  async renew(lease: Lease): Promise<Lease | null> {
    const sentAt = performance.now();
    const ok = (await this.options.redis.eval(RENEW, 1, this.options.key, value(lease), this.options.ttlMs)) as number;
    return ok === 1 ? this.lease(lease.ownerId, lease.token, sentAt) : null;
  }

  /** Frees a lease we hold; false if it was not ours any more. */
  async release(lease: Lease): Promise<boolean> {
    return ((await this.options.redis.eval(RELEASE, 1, this.options.key, value(lease))) as number) === 1;
  }

  /**
   * Hands a lease we hold to another owner atomically (no moment without an owner). The new
   * owner learns its token from the result; the old one must stop acting as owner.
   */
  async transfer(lease: Lease, toOwnerId: string): Promise<Lease | null> {
    const sentAt = performance.now();
    const token = (await this.options.redis.eval(TRANSFER, 2, this.options.key, `${this.options.key}:fence`, value(lease), toOwnerId, this.options.ttlMs)) as number | null;
    return token === null ? null : this.lease(toOwnerId, Number(token), sentAt);
  }

  /** Who holds the lease now, if anyone. */
  async holder(): Promise<LeaseHolder | null> {
    const [raw, ttl] = await Promise.all([this.options.redis.get(this.options.key), this.options.redis.pttl(this.options.key)]);
    if (raw === null) return null;
    const sep = raw.lastIndexOf('|');
    return { ownerId: raw.slice(0, sep), token: Number(raw.slice(sep + 1)), ttlMs: ttl };
  }

  /** Whether this process may still act as the owner of `lease`, by the local monotonic clock. */
  static isValid(lease: Lease, now: number = performance.now()): boolean {
    return now < lease.validUntil;
  }

  private lease(ownerId: string, token: number, sentAt: number): Lease {
    return { ownerId, token, validUntil: sentAt + this.options.ttlMs - this.driftMs };
  }
}

function value(lease: Lease): string {
  return `${lease.ownerId}|${lease.token}`;
}
