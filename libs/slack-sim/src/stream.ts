// Paced injection for load: envelope i is due at start + i/rate (absolute schedule, so timer
// jitter does not accumulate); each timer tick sends everything due, in batches that yield to the
// event loop so acks keep being read.
import { SlackSimError } from './errors';
import { nowMs } from './ids';
import type { InjectInput, InjectResult, StreamInput, StreamResult } from './types';

/** Largest batch sent without yielding to the event loop. */
const MAX_BATCH = 500;

export class StreamRunner {
  private readonly active = new Set<() => void>();

  constructor(private readonly inject: (input: InjectInput) => InjectResult) {}

  run(input: StreamInput): Promise<StreamResult> {
    const { count, ratePerSecond, make } = input;
    if (!Number.isInteger(count) || count < 0) throw new SlackSimError('ERR_SIM_INVALID_INPUT', 'injectStream: count must be a whole number ≥ 0');
    if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond)) throw new SlackSimError('ERR_SIM_INVALID_INPUT', 'injectStream: ratePerSecond must be > 0');
    const intervalMs = 1000 / ratePerSecond;
    const maxDurationMs = input.maxDurationMs ?? count * intervalMs * 2 + 5000;
    const start = nowMs();
    const envelopeIds: string[] = [];
    let i = 0;
    let timer: NodeJS.Timeout | undefined;

    return new Promise<StreamResult>((resolve, reject) => {
      const finish = (err?: unknown) => {
        clearTimeout(timer);
        this.active.delete(stop);
        if (err) reject(err);
        else resolve({ injected: i, envelopeIds, durationMs: nowMs() - start });
      };
      const stop = () => finish();
      const tick = () => {
        timer = undefined;
        const elapsed = nowMs() - start;
        const due = Math.min(count, Math.floor(elapsed / intervalMs) + 1, i + MAX_BATCH);
        try {
          for (; i < due; i++) envelopeIds.push(this.inject(make(i)).envelopeId);
        } catch (err) {
          return finish(err);
        }
        if (i >= count || elapsed >= maxDurationMs) return finish();
        const wait = Math.max(0, start + i * intervalMs - nowMs());
        timer = setTimeout(tick, wait);
      };
      this.active.add(stop);
      tick();
    });
  }

  /** Ends every running stream now; each resolves with what it injected so far. */
  stopAll(): void {
    for (const stop of [...this.active]) stop();
  }
}
