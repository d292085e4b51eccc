// How deep Socketworks' queues got during a load: every sample interval, per queue, the jobs
// waiting (the wait list plus the prioritized set, where the sync lane's bare-acked jobs wait) and
// the jobs running (the active list), read from Redis; the peaks go into the report, so a missed
// target can say which queue backed up.
import type { Redis } from 'ioredis';
import { bullPrefix, QUEUE_NAMES } from '@socketworks/protocol';

export interface QueuePeak {
  /** Most jobs waiting at one sample: wait list + prioritized set. */
  waiting: number;
  /** Most jobs running at one sample: the active list. */
  running: number;
}

export class QueueDepthSampler {
  private readonly peaks: Record<string, QueuePeak> = {};
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly queuePrefix: string,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      // One sample at a time: a slow Redis skips ticks rather than piling reads up.
      this.inFlight ??= this.sample().finally(() => (this.inFlight = undefined));
    }, this.intervalMs);
  }

  /** Stops sampling; the peaks of the queues that had any job. */
  async stop(): Promise<Record<string, QueuePeak>> {
    clearInterval(this.timer);
    await this.inFlight;
    return Object.fromEntries(Object.entries(this.peaks).filter(([, p]) => p.waiting > 0 || p.running > 0));
  }

  private async sample(): Promise<void> {
    const prefix = bullPrefix(this.queuePrefix);
    const pipeline = this.redis.pipeline();
    for (const q of QUEUE_NAMES) pipeline.llen(`${prefix}:${q}:wait`).zcard(`${prefix}:${q}:prioritized`).llen(`${prefix}:${q}:active`);
    const replies = await pipeline.exec().catch(() => null);
    if (!replies) return; // Redis busy or gone for a moment: this sample is skipped
    QUEUE_NAMES.forEach((q, i) => {
      const reply = (k: number) => Number(replies[i * 3 + k]?.[1] ?? 0);
      const peak = (this.peaks[q] ??= { waiting: 0, running: 0 });
      peak.waiting = Math.max(peak.waiting, reply(0) + reply(1)); // wait list + prioritized set
      peak.running = Math.max(peak.running, reply(2)); // active list
    });
  }
}

/** `events 11,051 waiting / 540 running, sync 1,657 / 60`: the queues that backed up, deepest first. '' when none waited. */
export function queuePeaksText(peaks: Record<string, QueuePeak> | undefined): string {
  const backed = Object.entries(peaks ?? {})
    .filter(([, p]) => p.waiting > 0)
    .sort(([, a], [, b]) => b.waiting - a.waiting);
  if (backed.length === 0) return '';
  const n = (v: number) => v.toLocaleString('en-US');
  return backed.map(([q, p], i) => (i === 0 ? `${q} ${n(p.waiting)} waiting / ${n(p.running)} running` : `${q} ${n(p.waiting)} / ${n(p.running)}`)).join(', ');
}
