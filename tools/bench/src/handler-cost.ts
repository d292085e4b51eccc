// The extra cost a benchmark handler pays, the same in the Bolt app and in the Socketworks worker's
// bench app module: BENCH_HANDLER_CPU_MS of busy CPU (a handler that computes), then
// BENCH_HANDLER_DELAY_MS of waiting (a handler that calls a slow service). Both 0 by default.

export interface HandlerCostSettings {
  cpuMs: number;
  delayMs: number;
}

function nonNegative(value: string | undefined, name: string): number {
  if (value === undefined || value === '') return 0;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new RangeError(`${name} must be a number ≥ 0`);
  return n;
}

export function handlerCostSettings(env: Readonly<Record<string, string | undefined>>): HandlerCostSettings {
  return { cpuMs: nonNegative(env.BENCH_HANDLER_CPU_MS, 'BENCH_HANDLER_CPU_MS'), delayMs: nonNegative(env.BENCH_HANDLER_DELAY_MS, 'BENCH_HANDLER_DELAY_MS') };
}

/** Burns `ms` of CPU on this thread. */
export function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // busy on purpose: a fixed CPU cost per handler
  }
}

/** A function that pays the configured cost once per call. */
export function handlerCost(env: Readonly<Record<string, string | undefined>>): () => Promise<void> {
  const { cpuMs, delayMs } = handlerCostSettings(env);
  return async () => {
    if (cpuMs > 0) spin(cpuMs);
    if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
  };
}
