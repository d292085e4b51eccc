// What the driver asks the simulator host for (LoadSpec) and what it measured (LoadResult). Both
// cross the IPC channel as JSON.
import type { Mix } from './envelopes';
import type { Bucket, LatencySummary } from './stats';

export interface LoadSpec {
  /** Envelopes to inject. */
  count: number;
  /** Offered rate; 'burst' hands every envelope to the simulator at once (in batches of 500). */
  ratePerSecond: number | 'burst';
  mix: Mix;
  /** First sequence number: loads against one running system use disjoint ranges (job ids stay unique). */
  seqBase: number;
  /** A `refresh_requested` to the oldest open socket every this many ms while injecting. */
  refreshEveryMs?: number;
  /** An abrupt drop (no close frame) of the oldest socket every this many ms while injecting. */
  dropEveryMs?: number;
  /** Wait for an answer to every envelope (false: acks only, e.g. a connector without workers). */
  expectAnswers: boolean;
  /** After the last injection, how long to wait for acks (and answers) before summing up. */
  settleTimeoutMs: number;
}

export interface TimelineBucket extends Bucket {
  /** p99 of inject → first ack (includes waiting for a socket and redeliveries) of envelopes first acked in this bucket. */
  injectToAckP99: number;
  /** Answers (Web API / response_url calls) that arrived in this bucket. */
  answers: number;
}

export interface Marker {
  /** ms since the load began. */
  t: number;
  kind: 'refresh' | 'drop';
}

export interface LoadResult {
  spec: LoadSpec;
  /** Epoch ms (simulator clock) when injection began and when the load was summed up. */
  startedAt: number;
  endedAt: number;
  injected: number;
  injectMs: number;
  /** Injected per second as achieved (below the offered rate when the simulator itself could not keep up). */
  injectRate: number;
  /** Envelope frames, as the simulator counts them (redeliveries are frames too). */
  frames: {
    sent: number;
    acked: number;
    unacked: number;
    redelivered: number;
    waitedForSocket: number;
    gaveUp: number;
    duplicateAcks: number;
    unknownAcks: number;
  };
  /** Injected envelopes, followed through. */
  envelopes: {
    injected: number;
    /** Acked at least once (any delivery). */
    acked: number;
    /** At least one answer. */
    answered: number;
    /** Delivered, but never acked and never answered. */
    lost: number;
    /**
     * Never delivered by the end: still held by the simulator because no socket was open (Slack
     * holds them too). Not counted as lost; a longer settle time would have delivered them.
     */
    undelivered: number;
    /** Acked but not answered by the end (only when answers are expected). */
    unanswered: number;
    /** Answered more than once: the handler ran twice. */
    handledTwice: number;
    /** Delivered more than once. */
    redelivered: number;
  };
  /** Simulator send → ack of that frame. */
  ackLatencyMs: LatencySummary;
  /** Inject → first ack of the envelope (includes waiting for a socket, and redeliveries). */
  injectToAckMs: LatencySummary;
  /** First delivery → answer. */
  answerLatencyMs: LatencySummary;
  throughput: {
    /** Envelopes acked per second, first send to last ack. */
    ackedPerSecond: number;
    /** Envelopes answered per second, first send to last answer. */
    answeredPerSecond: number;
  };
  /** Simulator send → ack by envelope type (slash commands may wait for their answer on a sync lane). */
  ackLatencyByTypeMs: Record<string, LatencySummary>;
  /** Epoch ms (simulator clock) of the first and last answer; null when none came. */
  answerWindow: { first: number; last: number } | null;
  /** True when everything expected arrived before settleTimeoutMs. */
  settled: boolean;
  /** Last injection → everything acked/answered (or the timeout). */
  settleMs: number;
  timeline: TimelineBucket[];
  markers: Marker[];
  /** Sockets the system opened during the load (reconnects and refresh replacements). */
  socketsOpened: number;
  openSocketsAtEnd: number;
  /** The simulator's own event-loop delay during the load: high values mean it, not the system, added latency. */
  simEventLoopMs: { p99: number; max: number };
}

/** Width of the timeline buckets. */
export const BUCKET_MS = 250;
