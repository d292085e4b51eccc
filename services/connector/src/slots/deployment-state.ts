// The deployment as Redis sees it, read and written in one atomic script per tick: this replica's
// membership heartbeat, every slot's lease holder and pending handover, and the sockets each replica
// reports. Expiry uses Redis's own clock (TIME), so replicas on hosts with skewed clocks agree on
// who is live.
import { deleteIfValue, type RedisClient } from '@socketworks/runtime';
import type { SlotKeys } from './slot-keys';

/** Heartbeat (join or leave) + the whole slot table. KEYS: replicas, sockets, then slot/handover/claim per slot. */
const TICK = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if ARGV[3] == 'join' then
  redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
else
  redis.call('ZREM', KEYS[1], ARGV[1])
end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[4] .. ',' .. (now + ttl))
local members = redis.call('ZRANGE', KEYS[1], 0, -1)
local slots = {}
for i = 3, #KEYS, 3 do
  slots[#slots + 1] = { redis.call('GET', KEYS[i]) or false, redis.call('PTTL', KEYS[i]), redis.call('GET', KEYS[i + 1]) or false, redis.call('GET', KEYS[i + 2]) or false }
end
return { members, slots }`;

/** This replica's socket report, between ticks. KEYS: sockets; ARGV: replica, "open,connecting", ttl. */
const REPORT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ',' .. (now + tonumber(ARGV[3])))
return 1`;

/**
 * Lua: `open`, `connecting` = the socket reports in KEYS[1] that have not expired (Redis's clock),
 * forgetting the expired ones. A fragment of the scripts below.
 */
const SUM_REPORTS = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local entries = redis.call('HGETALL', KEYS[1])
local open, connecting = 0, 0
for i = 1, #entries, 2 do
  local o, c, expires = string.match(entries[i + 1], '^(%d+),(%d+),(%d+)$')
  if expires and tonumber(expires) > now then
    open = open + tonumber(o)
    connecting = connecting + tonumber(c)
  else
    redis.call('HDEL', KEYS[1], entries[i])
  end
end`;

/** Sums the socket reports that have not expired. KEYS: sockets. */
const SUM = `${SUM_REPORTS}
return { open, connecting }`;

/**
 * Reserves one extra socket (a takeover's claim, a refresh's replacement) by setting its key, only
 * while the app stays within Slack's socket cap: every socket the replicas report (open,
 * connecting, or closing after a handover or refresh) plus one per reservation under way (its
 * socket may not be reported yet), plus this one. A reservation whose socket is already reported
 * counts twice: too careful for a moment, never over the cap. KEYS: sockets, the key to set, then
 * every reservation key (claims and refreshes of every slot); ARGV: replica, PX, cap. Returns
 * { 1 reserved (or already ours) | 0 another replica's | -1 no room, sockets, reservations }.
 */
const RESERVE = `${SUM_REPORTS}
local moves = 0
for i = 3, #KEYS do moves = moves + redis.call('EXISTS', KEYS[i]) end
local sockets = open + connecting
local holder = redis.call('GET', KEYS[2])
if holder == ARGV[1] then return { 1, sockets, moves } end
if holder then return { 0, sockets, moves } end
if sockets + moves + 1 > tonumber(ARGV[3]) then return { -1, sockets, moves } end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
return { 1, sockets, moves }`;

export interface SlotHolder {
  ownerId: string;
  token: number;
  /** Milliseconds left on the lease in Redis. */
  ttlMs: number;
}

export interface HandoverRequest {
  from: string;
  token: number;
  reason: 'rebalance' | 'leaving';
}

export interface SlotView {
  holder: SlotHolder | null;
  handover: HandoverRequest | null;
  /** The replica that took on the handover request, if one did. */
  claimedBy: string | null;
}

export interface DeploymentView {
  /** Live replicas (their heartbeat has not expired), sorted. Excludes this one while it leaves. */
  members: string[];
  slots: SlotView[];
}

export interface SocketCount {
  open: number;
  connecting: number;
}

export interface ReserveResult {
  /** `reserved`: ours (a claim: ours to take over); `taken`: another replica's; `no_room`: not now (the cap). */
  outcome: 'reserved' | 'taken' | 'no_room';
  /** Sockets the replicas report, and extra sockets reserved (claims and refreshes), when the script ran. */
  sockets: number;
  reserved: number;
}

const RESERVE_OUTCOMES = { 1: 'reserved', 0: 'taken', [-1]: 'no_room' } as const;

export class DeploymentState {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: SlotKeys,
    private readonly slotCount: number,
    private readonly replicaId: string,
    private readonly ttlMs: number,
  ) {}

  /** One heartbeat (`join` keeps this replica in the membership, `leave` takes it out) and the slot table. */
  async tick(mode: 'join' | 'leave', sockets: SocketCount): Promise<DeploymentView> {
    const keys = [this.keys.replicas, this.keys.sockets];
    for (let n = 0; n < this.slotCount; n++) keys.push(this.keys.slot(n), this.keys.handover(n), this.keys.claim(n));
    const reply = (await this.redis.eval(TICK, keys.length, ...keys, this.replicaId, this.ttlMs, mode, `${sockets.open},${sockets.connecting}`)) as [
      string[],
      Array<[string | null, number, string | null, string | null]>,
    ];
    const [members, rows] = reply;
    return {
      members: [...members].sort(),
      slots: rows.map(([holder, pttl, handover, claim]) => ({
        holder: parseHolder(holder, pttl),
        handover: parseHandover(handover),
        claimedBy: claim,
      })),
    };
  }

  /** Reports this replica's sockets now (they changed); expires with the membership TTL. */
  async report(sockets: SocketCount): Promise<void> {
    await this.redis.eval(REPORT, 1, this.keys.sockets, this.replicaId, `${sockets.open},${sockets.connecting}`, this.ttlMs);
  }

  /** Sockets every replica reports (a replica that died drops out when its report expires). */
  async deploymentSockets(): Promise<SocketCount> {
    const [open, connecting] = (await this.redis.eval(SUM, 1, this.keys.sockets)) as [number, number];
    return { open, connecting };
  }

  /** Takes this replica's socket report out (the process is leaving with every socket closed). */
  async forget(): Promise<void> {
    await this.redis.hdel(this.keys.sockets, this.replicaId);
  }

  /**
   * Reserves an extra socket for this replica under `key` (slot n's claim or refresh key), for
   * `ttlMs`, if one more socket keeps the app within `cap` (see RESERVE).
   */
  async reserve(key: string, ttlMs: number, cap: number): Promise<ReserveResult> {
    const keys = [this.keys.sockets, key];
    for (let i = 0; i < this.slotCount; i++) keys.push(this.keys.claim(i), this.keys.refresh(i));
    const [code, sockets, reserved] = (await this.redis.eval(RESERVE, keys.length, ...keys, this.replicaId, ttlMs, cap)) as [1 | 0 | -1, number, number];
    return { outcome: RESERVE_OUTCOMES[code], sockets, reserved };
  }

  /** Deletes a key only while it still holds the given value (our claim, our handover request). */
  deleteIf(key: string, value: string): Promise<boolean> {
    return deleteIfValue(this.redis, key, value);
  }
}

function parseHolder(raw: string | null, pttl: number): SlotHolder | null {
  if (raw === null) return null;
  const sep = raw.lastIndexOf('|');
  return { ownerId: raw.slice(0, sep), token: Number(raw.slice(sep + 1)), ttlMs: pttl };
}

/** Another version may have written it: anything malformed is treated as no request. */
function parseHandover(raw: string | null): HandoverRequest | null {
  if (raw === null) return null;
  try {
    const value = JSON.parse(raw) as Partial<HandoverRequest>;
    if (typeof value.from !== 'string' || typeof value.token !== 'number') return null;
    return { from: value.from, token: value.token, reason: value.reason === 'leaving' ? 'leaving' : 'rebalance' };
  } catch {
    return null;
  }
}

export function handoverValue(request: HandoverRequest): string {
  return JSON.stringify(request);
}
