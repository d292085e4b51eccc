// What a run measures: rates, durations and counts for the full run, `--quick`, and the tiny plan
// the integration test uses. Every load is bounded by its count and every wait by a timeout.
import type { Mix } from './envelopes';

export interface Plan {
  name: 'full' | 'quick' | 'tiny';
  mix: Mix;
  /** Steady streams (rate/s, seconds) run against both systems. */
  steady: Array<{ rate: number; seconds: number }>;
  /** Saturation steps (rate/s) for both systems, and for one connector alone (may go higher). */
  saturationRates: number[];
  connectorSaturationRates: number[];
  stepSeconds: number;
  /** Ack p99 at or above this fails a saturation step. */
  saturationP99LimitMs: number;
  slow: { rate: number; seconds: number; delayMs: number } | null;
  refresh: { rate: number; seconds: number; everyMs: number } | null;
  drop: { rate: number; seconds: number; everyMs: number } | null;
  burst: { count: number } | null;
  /** One connector, no workers. */
  connector: { steady: Array<{ rate: number; seconds: number }>; refresh: { rate: number; seconds: number; everyMs: number } | null; saturation: boolean };
  scaling: { workers: number[]; envelopes: number; cpuMs: number } | null;
  /**
   * Concurrent producers per probe process, and how many probe processes add at once: one process
   * tops out on its own CPU before Redis does, so the ceiling is the best over both.
   */
  ceiling: { producers: number[]; processes: number[]; seconds: number } | null;
  /**
   * Before each measured load, the same system takes this many seconds of the same traffic (no
   * disruptions), unmeasured: JIT compilation and connection pools warm up in both systems alike.
   */
  warmupSeconds: number;
  /** Wait for the last acks/answers after injection, at most this long. */
  settleMs: number;
  stepSettleMs: number;
}

export const FULL_PLAN: Plan = {
  name: 'full',
  mix: 'mixed',
  steady: [
    { rate: 500, seconds: 10 },
    { rate: 2000, seconds: 10 },
  ],
  saturationRates: [1000, 2000, 3000, 4000, 6000, 8000],
  connectorSaturationRates: [1000, 2000, 4000, 6000, 8000, 10000, 12000, 14000, 16000, 20000, 24000],
  stepSeconds: 4,
  saturationP99LimitMs: 100,
  slow: { rate: 2000, seconds: 10, delayMs: 200 },
  refresh: { rate: 1000, seconds: 15, everyMs: 3000 },
  drop: { rate: 1000, seconds: 21, everyMs: 5000 },
  burst: { count: 10000 },
  connector: {
    steady: [
      { rate: 500, seconds: 10 },
      { rate: 2000, seconds: 10 },
    ],
    refresh: { rate: 2000, seconds: 15, everyMs: 3000 },
    saturation: true,
  },
  scaling: { workers: [1, 2, 4], envelopes: 6000, cpuMs: 2 },
  ceiling: { producers: [16, 64, 256], processes: [1, 2], seconds: 3 },
  warmupSeconds: 2,
  settleMs: 20000,
  stepSettleMs: 10000,
};

/**
 * `--quick`: a reduced set in under two minutes on 2 cores: the Redis ceiling, one connector alone
 * (2,000/s and a short saturation), and against both systems 2,000/s, 200 ms handlers, one
 * refresh and one drop, and three saturation steps. No burst and no worker scaling.
 */
export const QUICK_PLAN: Plan = {
  name: 'quick',
  mix: 'mixed',
  steady: [{ rate: 2000, seconds: 2 }],
  saturationRates: [1000, 2000, 4000],
  connectorSaturationRates: [2000, 4000, 8000],
  stepSeconds: 1,
  saturationP99LimitMs: 100,
  slow: { rate: 2000, seconds: 2, delayMs: 200 },
  refresh: { rate: 1000, seconds: 3.5, everyMs: 3000 },
  drop: { rate: 1000, seconds: 5.5, everyMs: 5000 },
  burst: null,
  connector: { steady: [{ rate: 2000, seconds: 2 }], refresh: null, saturation: true },
  scaling: null,
  ceiling: { producers: [64], processes: [1, 2], seconds: 1 },
  warmupSeconds: 0.5,
  // Longer than the Bolt client's 5 s reconnect delay, so envelopes held during its gap arrive.
  settleMs: 6500,
  stepSettleMs: 3000,
};

/** The integration test: a few hundred envelopes against both systems, one connector-only load, a short ceiling. */
export const TINY_PLAN: Plan = {
  name: 'tiny',
  mix: 'mixed',
  steady: [{ rate: 200, seconds: 1.5 }],
  saturationRates: [],
  connectorSaturationRates: [],
  stepSeconds: 1,
  saturationP99LimitMs: 100,
  slow: null,
  refresh: null,
  drop: null,
  burst: null,
  connector: { steady: [{ rate: 200, seconds: 1 }], refresh: null, saturation: false },
  scaling: null,
  ceiling: { producers: [8], processes: [1, 2], seconds: 0.5 },
  warmupSeconds: 0.5,
  settleMs: 10000,
  stepSettleMs: 5000,
};

export function planNamed(name: string): Plan {
  switch (name) {
    case 'full':
      return FULL_PLAN;
    case 'quick':
      return QUICK_PLAN;
    case 'tiny':
      return TINY_PLAN;
    default:
      throw new RangeError(`unknown plan ${name}: full, quick or tiny`);
  }
}

export function countFor(rate: number, seconds: number): number {
  return Math.max(1, Math.round(rate * seconds));
}

/** Parts of a plan `--only` can pick. */
export const PLAN_PARTS = ['ceiling', 'connector', 'steady', 'slow-handlers', 'refresh', 'drop', 'burst', 'saturation', 'scaling'] as const;
export type PlanPart = (typeof PLAN_PARTS)[number];

/** The plan with only the given parts (the rest emptied). */
export function restrictPlan(plan: Plan, only: readonly string[]): Plan {
  for (const part of only) if (!(PLAN_PARTS as readonly string[]).includes(part)) throw new RangeError(`--only: unknown part ${part} (${PLAN_PARTS.join(', ')})`);
  const has = (part: PlanPart) => only.includes(part);
  return {
    ...plan,
    ceiling: has('ceiling') ? plan.ceiling : null,
    connector: has('connector') ? plan.connector : { steady: [], refresh: null, saturation: false },
    steady: has('steady') ? plan.steady : [],
    slow: has('slow-handlers') ? plan.slow : null,
    refresh: has('refresh') ? plan.refresh : null,
    drop: has('drop') ? plan.drop : null,
    burst: has('burst') ? plan.burst : null,
    saturationRates: has('saturation') ? plan.saturationRates : [],
    scaling: has('scaling') ? plan.scaling : null,
  };
}
