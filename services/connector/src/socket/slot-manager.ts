// The slots this process serves. Today it owns all SLACK_CONNECTIONS slots and starts them
// together. With leases (issue 3) a lease keeper decides per slot: it calls `runner(slot).start()`
// when it wins slot N's lock and `stop({ immediate: true })` when it cannot renew — nothing here
// assumes every slot runs.
import type { Logger } from 'pino';
import type { EnvelopeIngestor } from '../ingest/envelope-ingestor';
import type { ConnectorMetrics } from '../metrics';
import { SlotRunner, type HeldSockets, type SlotState, type SlotTimings } from './slot-runner';

export interface SlotManagerOptions {
  /** Slot numbers 0 … slots-1 (`SLACK_CONNECTIONS`). */
  slots: number;
  apiUrl: string;
  appToken: string;
  maxFrameBytes: number;
  logger: Logger;
  metrics: ConnectorMetrics;
  ingestor: EnvelopeIngestor;
  timings: SlotTimings;
  fetch?: typeof fetch;
}

export interface SlotStatus {
  slot: number;
  state: SlotState;
  connected: boolean;
  connection_id?: string;
}

/** Why the app cannot be served at all (an operator must act), if it cannot. */
export type AppHalt = { reason: 'auth_failed'; slackError: string } | { reason: 'link_disabled' };

export class SlotManager {
  private readonly runners: SlotRunner[] = [];
  private haltedFor: AppHalt | undefined;
  private readonly onSaturated = () => this.runners.forEach((r) => r.pauseReads());
  private readonly onDrained = () => this.runners.forEach((r) => r.resumeReads());

  constructor(private readonly options: SlotManagerOptions) {
    for (let slot = 0; slot < options.slots; slot++) {
      const runner = new SlotRunner({
        slot,
        apiUrl: options.apiUrl,
        appToken: options.appToken,
        maxFrameBytes: options.maxFrameBytes,
        logger: options.logger,
        metrics: options.metrics,
        ingestor: options.ingestor,
        timings: options.timings,
        heldSockets: () => this.heldSockets(),
        fetch: options.fetch,
      });
      // Both conditions are app-wide: one slot learning it is enough for all to stop trying.
      runner.on('auth_failed', (err) => this.halt({ reason: 'auth_failed', slackError: err.slackError }));
      runner.on('link_disabled', () => this.halt({ reason: 'link_disabled' }));
      this.runners.push(runner);
    }
    options.ingestor.on('saturated', this.onSaturated);
    options.ingestor.on('drained', this.onDrained);
  }

  /** Starts every slot (all owned, until leases decide ownership). */
  startAll(): void {
    for (const runner of this.runners) runner.start();
  }

  runner(slot: number): SlotRunner {
    const runner = this.runners[slot];
    if (!runner) throw new RangeError(`no slot ${slot} (SLACK_CONNECTIONS is ${this.runners.length})`);
    return runner;
  }

  /** Sockets this process holds across slots (see {@link SlotRunner.heldSockets}). */
  heldSockets(): HeldSockets {
    const held = { open: 0, connecting: 0 };
    for (const runner of this.runners) {
      const r = runner.heldSockets();
      held.open += r.open;
      held.connecting += r.connecting;
    }
    return held;
  }

  connectedSlots(): number {
    return this.runners.filter((r) => r.connected).length;
  }

  get halted(): AppHalt | undefined {
    return this.haltedFor;
  }

  status(): SlotStatus[] {
    return this.runners.map((r) => {
      const status: SlotStatus = { slot: r.slot, state: r.state, connected: r.connected };
      if (r.connectionId) status.connection_id = r.connectionId;
      return status;
    });
  }

  /** Stops every slot gracefully (in-flight acks are written before each socket closes). */
  async stopAll(): Promise<void> {
    this.options.ingestor.off('saturated', this.onSaturated);
    this.options.ingestor.off('drained', this.onDrained);
    await Promise.all(this.runners.map((r) => r.stop()));
  }

  private halt(halt: AppHalt): void {
    if (this.haltedFor) return;
    this.haltedFor = halt;
    for (const runner of this.runners) runner.halt(halt.reason);
  }
}
