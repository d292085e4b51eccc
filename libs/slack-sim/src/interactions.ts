// Short-lived credentials Slack hands out with payloads and on apps.connections.open: trigger_ids
// (single use, 3 s), response_urls (5 uses in 30 min) and socket tickets (single use). Expiry is
// checked when one is used, so nothing here needs a timer; stale entries are swept in bulk.
import { nowMs, randomHex } from './ids';

/** Sweep expired entries once a map grows past this many since the last sweep. */
const SWEEP_EVERY = 10000;

export type TriggerCheck = 'ok' | 'invalid_trigger_id' | 'expired_trigger_id' | 'exchanged_trigger_id';

interface TriggerEntry {
  /** Infinity until the envelope carrying it is sent. */
  expiresAt: number;
  used: boolean;
}

export class TriggerRegistry {
  private readonly entries = new Map<string, TriggerEntry>();
  private sinceSweep = 0;

  constructor(private readonly ttlMs: number) {}

  register(id: string): void {
    this.entries.set(id, { expiresAt: Infinity, used: false });
    if (++this.sinceSweep >= SWEEP_EVERY) this.sweep();
  }

  /** The clock starts when the payload reaches a client. */
  activate(id: string, sentAt: number): void {
    const entry = this.entries.get(id);
    if (entry && entry.expiresAt === Infinity) entry.expiresAt = sentAt + this.ttlMs;
  }

  check(id: unknown): TriggerCheck {
    const entry = typeof id === 'string' ? this.entries.get(id) : undefined;
    if (!entry) return 'invalid_trigger_id';
    if (entry.used) return 'exchanged_trigger_id';
    if (nowMs() > entry.expiresAt) return 'expired_trigger_id';
    return 'ok';
  }

  /** Forgets a trigger whose envelope will never be sent (it would otherwise never expire). */
  forget(id: string): void {
    const entry = this.entries.get(id);
    if (entry && entry.expiresAt === Infinity) this.entries.delete(id);
  }

  /** How many triggers are held (expired ones until the next sweep). */
  get size(): number {
    return this.entries.size;
  }

  /** Marks it used (call only after `check` said ok and the call succeeded). */
  exchange(id: string): void {
    const entry = this.entries.get(id);
    if (entry) entry.used = true;
  }

  private sweep(): void {
    this.sinceSweep = 0;
    // Used and expired triggers are kept one extra TTL so reuse still answers exchanged/expired.
    const cutoff = nowMs() - this.ttlMs;
    for (const [id, entry] of this.entries) if (entry.expiresAt < cutoff) this.entries.delete(id);
  }
}

export type ResponseUrlKind = 'commands' | 'actions' | 'app';

interface ResponseUrlEntry {
  uses: number;
  expiresAt: number;
  originEnvelopeId: string;
}

export type ResponseUrlUse =
  | { ok: true; originEnvelopeId: string }
  | { ok: false; status: 404; error: 'invalid_url' | 'expired_url' | 'used_too_many_times'; originEnvelopeId: string };

export class ResponseUrlRegistry {
  /** Keyed by path (`/hooks/commands/T…/…`) so the host it was reached under does not matter. */
  private readonly entries = new Map<string, ResponseUrlEntry>();
  private sinceSweep = 0;

  constructor(
    private readonly baseUrl: string,
    private readonly teamId: string,
    private readonly maxUses: number,
    private readonly ttlMs: number,
  ) {}

  create(kind: ResponseUrlKind, originEnvelopeId: string): string {
    const path = `/hooks/${kind}/${this.teamId}/${randomHex(12)}`;
    this.entries.set(path, { uses: 0, expiresAt: nowMs() + this.ttlMs, originEnvelopeId });
    if (++this.sinceSweep >= SWEEP_EVERY) this.sweep();
    return `${this.baseUrl}${path}`;
  }

  /** The 30 minutes count from when the payload reached a client. */
  activate(url: string, sentAt: number): void {
    const entry = this.entries.get(this.pathOf(url));
    if (entry && entry.uses === 0) entry.expiresAt = sentAt + this.ttlMs;
  }

  use(path: string): ResponseUrlUse {
    const entry = this.entries.get(path);
    if (!entry) return { ok: false, status: 404, error: 'invalid_url', originEnvelopeId: '' };
    if (nowMs() > entry.expiresAt) return { ok: false, status: 404, error: 'expired_url', originEnvelopeId: entry.originEnvelopeId };
    if (entry.uses >= this.maxUses) return { ok: false, status: 404, error: 'used_too_many_times', originEnvelopeId: entry.originEnvelopeId };
    entry.uses += 1;
    return { ok: true, originEnvelopeId: entry.originEnvelopeId };
  }

  private pathOf(url: string): string {
    return url.startsWith(this.baseUrl) ? url.slice(this.baseUrl.length) : url;
  }

  private sweep(): void {
    this.sinceSweep = 0;
    const cutoff = nowMs() - this.ttlMs;
    for (const [path, entry] of this.entries) if (entry.expiresAt < cutoff) this.entries.delete(path);
  }
}

/** Socket tickets from apps.connections.open: single use, valid 30 s. */
export class TicketRegistry {
  private readonly expiry = new Map<string, number>();

  constructor(private readonly ttlMs = 30000) {}

  issue(): string {
    const now = nowMs();
    if (this.expiry.size > 100) {
      for (const [ticket, expiresAt] of this.expiry) if (expiresAt < now) this.expiry.delete(ticket);
    }
    const ticket = randomHex(16);
    this.expiry.set(ticket, now + this.ttlMs);
    return ticket;
  }

  consume(ticket: string): boolean {
    const expiresAt = this.expiry.get(ticket);
    if (expiresAt === undefined) return false;
    this.expiry.delete(ticket);
    return nowMs() <= expiresAt;
  }
}
