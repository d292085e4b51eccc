// The connectors' own view of ack latency: their `socketworks_connector_ack_latency_seconds`
// histogram (the frame's handler ran → the ack was written), read from every connector's /metrics
// before and after a load. Next to the simulator's send → ack it tells how much of an ack's time
// is the connector's work and how much is spent before its event loop reads the frame (the
// kernel, the scheduler, the simulator's own loop). A histogram gives bucket bounds, not exact
// quantiles, so the figures are "≤ the bucket's upper bound".

/** Cumulative bucket counts per series: `awaited` ("true"/"false") → upper bound in seconds (Infinity for +Inf) → count. */
export type AckHistogram = Map<string, Map<number, number>>;

export interface ConnectorAckSummary {
  /** The ack waited for a handler's ack() answer (sync lane), else it followed the enqueue. */
  awaited: boolean;
  count: number;
  /** Upper bound (ms) of the bucket holding the quantile; null when it is above the last finite bucket. */
  p50LeMs: number | null;
  p99LeMs: number | null;
}

const BUCKET = /^socketworks_connector_ack_latency_seconds_bucket\{([^}]*)\}\s+([0-9.eE+-]+)/gm;
const LABEL = /(\w+)="([^"]*)"/g;

/** The ack-latency buckets of one /metrics text, every envelope type summed per `awaited`. */
export function parseAckHistogram(text: string): AckHistogram {
  const out: AckHistogram = new Map();
  for (const [, labelText, value] of text.matchAll(BUCKET)) {
    const labels = Object.fromEntries([...labelText!.matchAll(LABEL)].map(([, k, v]) => [k!, v!]));
    if (labels.le === undefined) continue;
    const le = labels.le === '+Inf' ? Infinity : Number(labels.le);
    const series = labels.awaited ?? 'false';
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

/** What was observed between two readings of the same processes, summarized per series. */
export function ackSummaries(before: AckHistogram, after: AckHistogram): ConnectorAckSummary[] {
  const out: ConnectorAckSummary[] = [];
  for (const [series, buckets] of after) {
    const bounds = [...buckets.keys()].sort((a, b) => a - b);
    const counts = bounds.map((le) => (buckets.get(le) ?? 0) - (before.get(series)?.get(le) ?? 0));
    const count = counts[counts.length - 1] ?? 0;
    if (count <= 0) continue;
    const quantile = (q: number): number | null => {
      const rank = q * count;
      const i = counts.findIndex((c) => c >= rank);
      const le = bounds[i] ?? Infinity;
      return Number.isFinite(le) ? le * 1000 : null;
    };
    out.push({ awaited: series === 'true', count, p50LeMs: quantile(0.5), p99LeMs: quantile(0.99) });
  }
  return out.sort((a, b) => Number(a.awaited) - Number(b.awaited));
}

/** `≤ 5 ms`, `≤ 0.25 ms`, or `> 2.5 s` (above the histogram's last finite bucket). */
export function boundText(ms: number | null): string {
  return ms === null ? '> 2.5 s' : `≤ ${Number(ms.toFixed(3)).toLocaleString('en-US', { maximumFractionDigits: 3 })} ms`;
}

/** `after the enqueue p50 ≤ 1 ms, p99 ≤ 5 ms (19,000 acks); waiting for a handler …`, or '' without data. */
export function connectorAcksText(summaries: readonly ConnectorAckSummary[] | undefined): string {
  if (!summaries || summaries.length === 0) return '';
  return summaries
    .map((s) => `${s.awaited ? "waiting for a handler's ack()" : 'after the enqueue'} p50 ${boundText(s.p50LeMs)}, p99 ${boundText(s.p99LeMs)} (${s.count.toLocaleString('en-US')} acks)`)
    .join('; ');
}
