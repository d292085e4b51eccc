// Runs one LoadSpec against an in-process SlackSim and measures it from the simulator's side:
// paced injection (absolute schedule, as the simulator's own stream runner), scheduled refreshes
// and drops, and every delivery, ack and answer matched to its envelope by sequence number.
// Per-envelope state lives in typed arrays so 10,000s of envelopes cost little in the process
// whose event loop also times the acks.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { AckRecord, ApiCall, Delivery, ResponseUrlCall, SlackSim } from '@socketworks/slack-sim';
import { EnvelopeFactory, seqFromPayload, seqFromText } from './envelopes';
import { BUCKET_MS, type LoadResult, type LoadSpec, type Marker, type TimelineBucket } from './load-types';
import { bucketize, LOOP_RESOLUTION_MS, loopDelayMs, round1, summarize } from './stats';

/** Largest batch injected without yielding to the event loop (acks must keep being read). */
const MAX_BATCH = 500;
/** How often the settle phase checks whether everything arrived. */
const SETTLE_POLL_MS = 50;

export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

export async function runLoad(sim: SlackSim, spec: LoadSpec): Promise<LoadResult> {
  validate(spec);
  sim.reset();
  const run = new LoadRun(sim, spec);
  try {
    return await run.execute();
  } finally {
    run.detach();
  }
}

function validate(spec: LoadSpec): void {
  if (!Number.isInteger(spec.count) || spec.count < 1) throw new RangeError('load: count must be a whole number ≥ 1');
  if (spec.ratePerSecond !== 'burst' && !(spec.ratePerSecond > 0)) throw new RangeError('load: ratePerSecond must be > 0 or "burst"');
  if (!Number.isInteger(spec.seqBase) || spec.seqBase < 0) throw new RangeError('load: seqBase must be a whole number ≥ 0');
}

class LoadRun {
  private readonly n: number;
  private readonly injectedAt: Float64Array;
  private readonly firstSentAt: Float64Array;
  private readonly firstAckAt: Float64Array;
  private readonly firstAnswerAt: Float64Array;
  private readonly answers: Uint16Array;
  private readonly deliveries: Uint16Array;
  /** envelope_id → (index, sentAt) until its first ack. */
  private readonly inFlight = new Map<string, { i: number; sentAt: number; type: string }>();
  private readonly latencyByType = new Map<string, number[]>();
  private readonly ackTimes: number[] = [];
  private readonly ackLatencies: number[] = [];
  private readonly answerTimes: number[] = [];
  private readonly markers: Marker[] = [];
  private readonly factory: EnvelopeFactory;
  private readonly loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  private readonly timers = new Set<NodeJS.Timeout>();
  private t0 = 0;
  private ackedCount = 0;
  private answeredCount = 0;
  private socketsBefore: Set<string>;

  constructor(
    private readonly sim: SlackSim,
    private readonly spec: LoadSpec,
  ) {
    this.n = spec.count;
    this.injectedAt = new Float64Array(this.n).fill(NaN);
    this.firstSentAt = new Float64Array(this.n).fill(NaN);
    this.firstAckAt = new Float64Array(this.n).fill(NaN);
    this.firstAnswerAt = new Float64Array(this.n).fill(NaN);
    this.answers = new Uint16Array(this.n);
    this.deliveries = new Uint16Array(this.n);
    this.factory = new EnvelopeFactory(spec.mix);
    this.socketsBefore = new Set(sim.sockets().map((s) => s.id));
    sim.on('delivery', this.onDelivery);
    sim.on('ack', this.onAck);
    sim.on('api_call', this.onApiCall);
    sim.on('response_url_call', this.onResponseUrlCall);
  }

  detach(): void {
    this.sim.off('delivery', this.onDelivery);
    this.sim.off('ack', this.onAck);
    this.sim.off('api_call', this.onApiCall);
    this.sim.off('response_url_call', this.onResponseUrlCall);
    for (const t of this.timers) clearTimeout(t);
    this.loop.disable();
  }

  async execute(): Promise<LoadResult> {
    this.loop.enable();
    this.t0 = nowMs();
    const startedAt = this.t0;
    const injectMs = await this.inject();
    const settleStart = nowMs();
    const settled = await this.settle();
    const settleMs = nowMs() - settleStart;
    return this.result(startedAt, injectMs, settled, settleMs);
  }

  // --- listeners (arrow functions: bound once, removable) ---

  private index(seq: number | undefined): number {
    if (seq === undefined || !Number.isFinite(seq)) return -1;
    const i = seq - this.spec.seqBase;
    return i >= 0 && i < this.n ? i : -1;
  }

  private readonly onDelivery = (d: Delivery): void => {
    const i = this.index(seqFromPayload(d.payload));
    if (i < 0 || d.sentAt === null) return;
    this.inFlight.set(d.envelopeId, { i, sentAt: d.sentAt, type: d.type });
    this.deliveries[i] = Math.min(65535, this.deliveries[i]! + 1);
    if (Number.isNaN(this.firstSentAt[i]!)) this.firstSentAt[i] = d.sentAt;
  };

  private readonly onAck = (a: AckRecord): void => {
    const f = this.inFlight.get(a.envelopeId);
    if (!f) return;
    this.inFlight.delete(a.envelopeId);
    this.ackTimes.push(a.receivedAt - this.t0);
    this.ackLatencies.push(a.receivedAt - f.sentAt);
    let byType = this.latencyByType.get(f.type);
    if (!byType) this.latencyByType.set(f.type, (byType = []));
    byType.push(a.receivedAt - f.sentAt);
    if (Number.isNaN(this.firstAckAt[f.i]!)) {
      this.firstAckAt[f.i] = a.receivedAt;
      this.ackedCount += 1;
    }
  };

  private readonly onApiCall = (c: ApiCall): void => {
    if (c.method === 'chat.postMessage') this.answer(seqFromText(c.args.text), c.at);
  };

  private readonly onResponseUrlCall = (c: ResponseUrlCall): void => {
    this.answer(seqFromText(c.body.text), c.at);
  };

  private answer(seq: number | undefined, at: number): void {
    const i = this.index(seq);
    if (i < 0) return;
    this.answerTimes.push(at - this.t0);
    this.answers[i] = Math.min(65535, this.answers[i]! + 1);
    if (Number.isNaN(this.firstAnswerAt[i]!)) {
      this.firstAnswerAt[i] = at;
      this.answeredCount += 1;
    }
  }

  // --- phases ---

  /** Injects every envelope on an absolute schedule; resolves with the time it took. */
  private inject(): Promise<number> {
    const { ratePerSecond } = this.spec;
    const intervalMs = ratePerSecond === 'burst' ? 0 : 1000 / ratePerSecond;
    const plannedMs = this.n * intervalMs;
    this.scheduleDisruptions(plannedMs);
    let next = 0;
    return new Promise((resolve, reject) => {
      const tick = () => {
        const elapsed = nowMs() - this.t0;
        const due = intervalMs === 0 ? this.n : Math.min(this.n, Math.floor(elapsed / intervalMs) + 1);
        const until = Math.min(due, next + MAX_BATCH);
        try {
          for (; next < until; next++) {
            const input = this.factory.make(this.spec.seqBase + next);
            this.injectedAt[next] = nowMs();
            this.sim.inject(input);
          }
        } catch (err) {
          reject(err);
          return;
        }
        if (next >= this.n) {
          resolve(nowMs() - this.t0);
          return;
        }
        if (until < due) setImmediate(tick);
        else this.later(tick, Math.max(0, this.t0 + next * intervalMs - nowMs()));
      };
      tick();
    });
  }

  /** Refreshes / drops at every multiple of their period while injecting (none at t = 0). */
  private scheduleDisruptions(plannedMs: number): void {
    const plan = (everyMs: number | undefined, kind: Marker['kind']) => {
      if (!everyMs || everyMs <= 0) return;
      for (let at = everyMs; at < plannedMs; at += everyMs) {
        this.later(() => {
          const ids = kind === 'refresh' ? this.sim.refresh({ reason: 'refresh_requested' }) : this.sim.drop();
          if (ids.length > 0) this.markers.push({ t: round1(nowMs() - this.t0), kind });
        }, at);
      }
    };
    plan(this.spec.refreshEveryMs, 'refresh');
    plan(this.spec.dropEveryMs, 'drop');
  }

  private later(fn: () => void, ms: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  private complete(): boolean {
    if (this.ackedCount < this.n) return false;
    return !this.spec.expectAnswers || this.answeredCount >= this.n;
  }

  private async settle(): Promise<boolean> {
    const deadline = nowMs() + this.spec.settleTimeoutMs;
    while (!this.complete()) {
      if (nowMs() >= deadline) return false;
      await new Promise<void>((r) => this.later(r, SETTLE_POLL_MS));
    }
    return true;
  }

  // --- summing up ---

  private result(startedAt: number, injectMs: number, settled: boolean, settleMs: number): LoadResult {
    const stats = this.sim.stats();
    const injectToAck: number[] = [];
    const injectToAckTimes: number[] = [];
    const answerLatency: number[] = [];
    let lost = 0;
    let undelivered = 0;
    let unanswered = 0;
    let handledTwice = 0;
    let redelivered = 0;
    let firstSend = Infinity;
    let lastAck = -Infinity;
    let firstAnswer = Infinity;
    let lastAnswer = -Infinity;
    for (let i = 0; i < this.n; i++) {
      const acked = !Number.isNaN(this.firstAckAt[i]!);
      const answered = this.answers[i]! > 0;
      if (!acked && !answered) {
        if (Number.isNaN(this.firstSentAt[i]!)) undelivered += 1;
        else lost += 1;
      }
      if (acked && !answered && this.spec.expectAnswers) unanswered += 1;
      if (this.answers[i]! > 1) handledTwice += 1;
      if (this.deliveries[i]! > 1) redelivered += 1;
      if (!Number.isNaN(this.firstSentAt[i]!)) firstSend = Math.min(firstSend, this.firstSentAt[i]!);
      if (acked) {
        injectToAck.push(this.firstAckAt[i]! - this.injectedAt[i]!);
        injectToAckTimes.push(this.firstAckAt[i]! - this.t0);
        lastAck = Math.max(lastAck, this.firstAckAt[i]!);
      }
      if (answered) {
        lastAnswer = Math.max(lastAnswer, this.firstAnswerAt[i]!);
        firstAnswer = Math.min(firstAnswer, this.firstAnswerAt[i]!);
        if (!Number.isNaN(this.firstSentAt[i]!)) answerLatency.push(this.firstAnswerAt[i]! - this.firstSentAt[i]!);
      }
    }
    const perSecond = (count: number, end: number) => (count > 0 && end > firstSend ? round1((count * 1000) / (end - firstSend)) : 0);
    const endedAt = nowMs();
    return {
      spec: this.spec,
      startedAt,
      endedAt,
      injected: this.n,
      injectMs: round1(injectMs),
      injectRate: injectMs > 0 ? round1((this.n * 1000) / injectMs) : this.n,
      frames: {
        sent: stats.sent,
        acked: stats.acked,
        unacked: stats.unacked,
        redelivered: stats.redelivered,
        waitedForSocket: stats.waitedForSocket,
        gaveUp: stats.gaveUp,
        duplicateAcks: stats.duplicateAcks,
        unknownAcks: stats.unknownAcks,
      },
      envelopes: {
        injected: this.n,
        acked: this.ackedCount,
        answered: this.answeredCount,
        lost,
        undelivered,
        unanswered,
        handledTwice,
        redelivered,
      },
      ackLatencyMs: summarize(this.ackLatencies),
      injectToAckMs: summarize(injectToAck),
      answerLatencyMs: summarize(answerLatency),
      ackLatencyByTypeMs: Object.fromEntries([...this.latencyByType].map(([type, values]) => [type, summarize(values)])),
      answerWindow: Number.isFinite(firstAnswer) ? { first: firstAnswer, last: lastAnswer } : null,
      throughput: { ackedPerSecond: perSecond(this.ackedCount, lastAck), answeredPerSecond: perSecond(this.answeredCount, lastAnswer) },
      settled,
      settleMs: round1(settleMs),
      timeline: this.timeline(injectToAckTimes, injectToAck, endedAt - this.t0),
      markers: this.markers,
      socketsOpened: this.sim.sockets().filter((s) => !this.socketsBefore.has(s.id)).length,
      openSocketsAtEnd: stats.openSockets,
      simEventLoopMs: { p99: loopDelayMs(this.loop.percentile(99)), max: loopDelayMs(this.loop.max) },
    };
  }

  private timeline(i2aTimes: number[], i2a: number[], untilMs: number): TimelineBucket[] {
    const acks = bucketize(this.ackTimes, this.ackLatencies, BUCKET_MS, untilMs);
    const injectToAck = bucketize(i2aTimes, i2a, BUCKET_MS, untilMs);
    const answers = new Array<number>(acks.length).fill(0);
    for (const t of this.answerTimes) {
      const b = Math.floor(t / BUCKET_MS);
      if (b >= 0 && b < answers.length) answers[b] = answers[b]! + 1;
    }
    return acks.map((b, k) => ({ ...b, injectToAckP99: injectToAck[k]?.p99 ?? 0, answers: answers[k]! }));
  }
}
