// `--worker-queues`: the WORKER_QUEUES of the benchmark's worker processes — one value for all of
// them, or one per worker process separated by ";" (worker k gets value k mod n), so a layout such
// as the Kubernetes one (workers for events, others for the sync lane) can be measured on the same
// machine as the default one.
import { parseQueueServing, QUEUE_NAMES } from '@socketworks/protocol';

/** The value of each worker process, in order. */
export function workerQueueSpecs(raw: string): string[] {
  return raw
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * What is wrong with `raw` for `workers` processes: each value as the worker reads it, one value
 * or exactly one per worker, and every queue served by some worker (else its envelopes are never
 * answered and the run measures nothing useful). Empty when it is fine.
 */
export function workerQueuesProblems(raw: string, workers: number): string[] {
  const specs = workerQueueSpecs(raw);
  if (specs.length === 0) return ['give a value such as events:64,sync:32'];
  const parsed = specs.map(parseQueueServing);
  const problems = parsed.flatMap((p, i) => p.problems.map((problem) => (specs.length > 1 ? `worker ${i + 1}: ${problem}` : problem)));
  if (specs.length > 1 && specs.length !== workers) problems.push(`${specs.length} values for ${workers} workers: give one value, or one per worker (--workers)`);
  const served = new Set(parsed.flatMap((p) => p.queues.map((q) => q.name)));
  const missing = QUEUE_NAMES.filter((q) => !served.has(q));
  if (problems.length === 0 && missing.length > 0) problems.push(`no worker serves ${missing.join(', ')}: the load has envelopes for every queue`);
  return problems;
}

/** Jobs of `queue` all `workers` processes run at once, or 0 when none serves it. */
export function totalConcurrency(raw: string, queue: string, workers: number): number {
  const specs = workerQueueSpecs(raw);
  let total = 0;
  for (let k = 0; k < workers && specs.length > 0; k++) {
    total += parseQueueServing(specs[k % specs.length]!).queues.find((q) => q.name === queue)?.concurrency ?? 0;
  }
  return total;
}
