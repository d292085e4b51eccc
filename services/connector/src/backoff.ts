// Jittered, capped exponential back-off. Jitter matters here: every connector pod of an app sees
// the same Slack incident at the same moment, and without it they would retry in lockstep.

export interface BackoffOptions {
  /** Delay of the first retry before jitter. */
  baseMs: number;
  /** Upper bound before jitter. */
  capMs: number;
  /** Lower end of the jitter range as a fraction of the delay. @defaultValue 0.5 */
  jitterFloor?: number;
  /** For tests. @defaultValue Math.random */
  random?: () => number;
}

/** Delay before retry number `attempt` (1 = first retry): base·2^(attempt-1), capped, then scaled into [floor, 1]. */
export function backoffDelayMs(attempt: number, options: BackoffOptions): number {
  const exponent = Math.max(0, Math.min(attempt - 1, 30));
  const delay = Math.min(options.baseMs * 2 ** exponent, options.capMs);
  const floor = options.jitterFloor ?? 0.5;
  const random = options.random ?? Math.random;
  return Math.round(delay * (floor + (1 - floor) * random()));
}

/** A delay of at least `minMs`, spread over [minMs, minMs·(1+spread)] so pods do not return together. */
export function jitteredAtLeast(minMs: number, spread = 0.5, random: () => number = Math.random): number {
  return Math.round(minMs * (1 + spread * random()));
}
