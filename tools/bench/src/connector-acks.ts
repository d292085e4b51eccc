// The connectors' own view of ack latency: their `socketworks_connector_ack_latency_seconds`
// histogram (the frame's handler ran → the ack was written) and the Redis round trip inside it,
// `socketworks_connector_enqueue_duration_seconds` (job sent → Redis confirmed it), read from every
// connector's /metrics before and after a load. Next to the simulator's send → ack they tell how
// much of an ack's time is the enqueue, how much the rest of the connector's work, and how much is
// spent before its event loop reads the frame (the kernel, the scheduler, the simulator's own
// loop). A histogram gives bucket bounds, not exact quantiles, so the figures are "≤ the bucket's
// upper bound".

/**
 * Cumulative bucket counts per series → upper bound in seconds (Infinity for +Inf) → count. Series:
 * `awaited` ("true"/"false") for the ack histogram, {@link ENQUEUE_SERIES} for the enqueue one.
 */
export type AckHistogram = Map<string, Map<number, number>>;

export const ENQUEUE_SERIES = 'enqueue';

/** What one histogram series observed between two readings: its count and quantiles as bucket bounds. */
export interface BucketSummary {
  count: number;
  /** Upper bound (ms) of the bucket holding the quantile; null when it is above the last finite bucket. */
  p50LeMs: number | null;
  p99LeMs: number | null;
}

export interface ConnectorAckSummary extends BucketSummary {
  /** The ack waited for a handler's ack() answer (sync lane), else it followed the enqueue. */
  awaited: boolean;
}

const BUCKET = /^(socketworks_connector_(?:ack_latency|enqueue_duration)_seconds)_bucket\{([^}]*)\}\s+([0-9.eE+-]+)/gm;
const LABEL = /(\w+)="([^"]*)"/g;

/**
 * The ack-latency buckets of one /metrics text, every envelope type summed per `awaited`, and the
 * enqueue round trip's, every queue summed.
 */
export function parseAckHistogram(text: string): AckHistogram {
  const out: AckHistogram = new Map();
  for (const [, name, labelText, value] of text.matchAll(BUCKET)) {
    const labels = Object.fromEntries([...labelText!.matchAll(LABEL)].map(([, k, v]) => [k!, v!]));
    if (labels.le === undefined) continue;
    const le = labels.le === '+Inf' ? Infinity : Number(labels.le);
    const series = name === 'socketworks_connector_enqueue_duration_seconds' ? ENQUEUE_SERIES : (labels.awaited ?? 'false');
    const buckets = out.get(series) ?? new Map<number, number>();
    buckets.set(le, (buckets.get(le) ?? 0) + Number(value));
    out.set(series, buckets);
  }
  return out;
}

/** Several connectors' histograms summed. */
export function sumHistograms(parts: AckHistogram[]): AckHistogram {
  const out: AckHistogram = new Map();
  for (const part of parts) {
    for (const [series, buckets] of part) {
      const into = out.get(series) ?? new Map<number, number>();
      for (const [le, n] of buckets) into.set(le, (into.get(le) ?? 0) + n);
      out.set(series, into);
    }
  }
  return out;
}

/** What one series observed between two readings of the same processes; undefined when nothing was. */
function summarize(before: AckHistogram, after: AckHistogram, series: string): BucketSummary | undefined {
  const buckets = after.get(series);
  if (!buckets) return undefined;
  const bounds = [...buckets.keys()].sort((a, b) => a - b);
  const counts = bounds.map((le) => (buckets.get(le) ?? 0) - (before.get(series)?.get(le) ?? 0));
  const count = counts[counts.length - 1] ?? 0;
  if (count <= 0) return undefined;
  const quantile = (q: number): number | null => {
    const rank = q * count;
    const i = counts.findIndex((c) => c >= rank);
    const le = bounds[i] ?? Infinity;
    return Number.isFinite(le) ? le * 1000 : null;
  };
  return { count, p50LeMs: quantile(0.5), p99LeMs: quantile(0.99) };
}

/** The acks observed between two readings, after the enqueue first, then the awaited ones. */
export function ackSummaries(before: AckHistogram, after: AckHistogram): ConnectorAckSummary[] {
  return [false, true].flatMap((awaited) => {
    const summary = summarize(before, after, String(awaited));
    return summary ? [{ awaited, ...summary }] : [];
  });
}

/** The enqueue round trips observed between two readings (all queues), or undefined. */
export function enqueueSummary(before: AckHistogram, after: AckHistogram): BucketSummary | undefined {
  return summarize(before, after, ENQUEUE_SERIES);
}

/** `≤ 5 ms`, `≤ 0.25 ms`, or `> 2.5 s` (above the histogram's last finite bucket). */
export function boundText(ms: number | null): string {
  return ms === null ? '> 2.5 s' : `≤ ${Number(ms.toFixed(3)).toLocaleString('en-US', { maximumFractionDigits: 3 })} ms`;
}

/**
 * `after the enqueue p50 ≤ 1 ms, p99 ≤ 5 ms (19,000 acks); waiting for a handler …; the enqueue
 * round trip inside them … p50 ≤ 0.5 ms, p99 ≤ 2.5 ms (20,000 enqueues)`, or '' without data.
 */
export function connectorAcksText(summaries: readonly ConnectorAckSummary[] | undefined, enqueue?: BucketSummary): string {
  const parts = (summaries ?? []).map((s) => `${s.awaited ? "waiting for a handler's ack()" : 'after the enqueue'} ${quantilesText(s)} (${s.count.toLocaleString('en-US')} acks)`);
  if (parts.length > 0 && enqueue) parts.push(`the enqueue round trip inside them (job sent → Redis confirmed it) ${quantilesText(enqueue)} (${enqueue.count.toLocaleString('en-US')} enqueues)`);
  return parts.join('; ');
}

/** `p50 ≤ 1 ms, p99 ≤ 5 ms`. */
function quantilesText(s: BucketSummary): string {
  return `p50 ${boundText(s.p50LeMs)}, p99 ${boundText(s.p99LeMs)}`;
}
