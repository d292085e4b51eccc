// Injected Web API rate limits, kept the way Slack keeps them (PROTOCOL.md §7.1): a 429 with
// `Retry-After: N` means the method stays refused for N seconds, whatever the client does
// meanwhile. A rule opens `count` such windows, one per 429 that finds no window open; calls that
// come inside a window are refused too (`early`) with the seconds left, and open nothing. So a
// client that honours Retry-After sees exactly `count` 429s, and one that retries at once keeps
// meeting 429s until the window is over.
import type { RateLimitRule } from './types';

/**
 * A retry timed to the millisecond by the client (setTimeout, BullMQ's delay, Redis PX) can land a
 * hair before the window's end as the simulator measures it: Node timers run off a cached,
 * whole-millisecond loop clock, and the window starts when the request arrived, before the client
 * heard the 429. Such a call counts as on time, not early.
 */
export const WINDOW_SLACK_MS = 5;

export interface RateLimitVerdict {
  /** The Retry-After to answer with, in whole seconds. */
  retryAfterSeconds: number;
  /** The call came inside a window an earlier 429 opened: it used up no window of the rule. */
  early: boolean;
}

interface ActiveRule {
  method: string;
  windowsLeft: number;
  retryAfterSeconds: number;
}

export class RateLimiter {
  private rule: ActiveRule | null = null;
  /** Open windows per method ('*' rules keep one per method, as Slack limits each method apart). */
  private readonly windowEnds = new Map<string, number>();

  /** Replaces the rule; open windows of the previous one are forgotten. null clears both. */
  set(rule: RateLimitRule | null): void {
    this.windowEnds.clear();
    this.rule = rule && rule.count > 0 ? { method: rule.method, windowsLeft: rule.count, retryAfterSeconds: rule.retryAfterSeconds } : null;
  }

  /** What a call of `method` arriving at `atMs` meets: a 429 (a verdict) or nothing (undefined). */
  take(method: string, atMs: number): RateLimitVerdict | undefined {
    const rule = this.rule;
    if (!rule || (rule.method !== '*' && rule.method !== method)) return undefined;
    for (const [m, endsAt] of this.windowEnds) if (atMs >= endsAt - WINDOW_SLACK_MS) this.windowEnds.delete(m);
    const endsAt = this.windowEnds.get(method);
    if (endsAt !== undefined) return { retryAfterSeconds: Math.max(1, Math.ceil((endsAt - atMs) / 1000)), early: true };
    if (rule.windowsLeft === 0) {
      // Every window used and over: the rule is done.
      if (this.windowEnds.size === 0) this.rule = null;
      return undefined;
    }
    rule.windowsLeft -= 1;
    // Retry-After: 0 opens no window; such a rule refuses the next `count` calls, as it always did.
    if (rule.retryAfterSeconds > 0) this.windowEnds.set(method, atMs + rule.retryAfterSeconds * 1000);
    else if (rule.windowsLeft === 0) this.rule = null;
    return { retryAfterSeconds: rule.retryAfterSeconds, early: false };
  }
}
