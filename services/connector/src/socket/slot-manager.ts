// The slots this process serves: one SlotRunner per slot number 0 … SLACK_CONNECTIONS-1. Which of
// them run is decided outside: the lease keeper (src/slots/slot-lease-keeper.ts) attaches itself
// as the slots' ownership and starts a runner when this replica wins that slot's lease, stops it
// when the lease is lost or handed over. `startAll()` (every slot, no leases) remains for tests.
import { EventEmitter } from 'node:events';
import { SlotRunner, type HeldSockets, type SlotRunnerOptions, type SlotState } from './slot-runner';

/** What every slot shares; per-slot and ownership fields are filled in by the manager. */
export type SlotManagerOptions = Pick<
  SlotRunnerOptions,
  'apiUrl' | 'appToken' | 'maxFrameBytes' | 'logger' | 'metrics' | 'ingestor' | 'timings' | 'fetch'
> & {
  /** Slot numbers 0 … slots-1 (`SLACK_CONNECTIONS`). */
  slots: number;
};

/** What the lease keeper provides to every slot (see SlotRunnerOptions for each). */
export interface SlotOwnership {
  ackGate(slot: number): boolean | Promise<boolean>;
  onFenced(slot: number): void;
  /** The cross-socket ack path, when one exists right now. */
  forwarder(slot: number): ((slot: number, envelopeId: string, payload?: Record<string, unknown>) => Promise<void>) | undefined;
  deploymentSockets(): Promise<HeldSockets>;
  reserveRefresh(slot: number): Promise<boolean>;
  releaseRefresh(slot: number): void;
}

export interface SlotManagerEvents {
  /** The sockets this process holds changed (created, hello, closed). */
  sockets: [];
}

export interface SlotStatus {
  slot: number;
  state: SlotState;
  connected: boolean;
  connection_id?: string;
}

/** Why the app cannot be served at all (an operator must act), if it cannot. */
export type AppHalt = { reason: 'auth_failed'; slackError: string } | { reason: 'link_disabled' };

export class SlotManager extends EventEmitter<SlotManagerEvents> {
  private readonly runners: SlotRunner[] = [];
  private haltedFor: AppHalt | undefined;
  private ownership: SlotOwnership | undefined;
  private readonly onSaturated = () => this.runners.forEach((r) => r.pauseReads());
  private readonly onDrained = () => this.runners.forEach((r) => r.resumeReads());

  constructor(private readonly options: SlotManagerOptions) {
    super();
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
        deploymentSockets: () => (this.ownership ? this.ownership.deploymentSockets() : Promise.resolve(this.heldSockets())),
        ackGate: (n) => (this.ownership ? this.ownership.ackGate(n) : true),
        onFenced: (n) => this.ownership?.onFenced(n),
        forwardAck: (n) => this.ownership?.forwarder(n),
        reserveRefresh: (n) => (this.ownership ? this.ownership.reserveRefresh(n) : Promise.resolve(true)),
        releaseRefresh: (n) => this.ownership?.releaseRefresh(n),
        fetch: options.fetch,
      });
      runner.on('sockets', () => this.emit('sockets'));
      // Both conditions are app-wide: one slot learning it is enough for all to stop trying.
      runner.on('auth_failed', (err) => this.halt({ reason: 'auth_failed', slackError: err.slackError }));
      runner.on('link_disabled', () => this.halt({ reason: 'link_disabled' }));
      this.runners.push(runner);
    }
    options.ingestor.on('saturated', this.onSaturated);
    options.ingestor.on('drained', this.onDrained);
  }

  /** The lease keeper: from now on every ack asks it first. */
  attach(ownership: SlotOwnership): void {
    this.ownership = ownership;
  }

  get size(): number {
    return this.runners.length;
  }

  /** Writes an ack for another replica on any serving socket whose lease is valid; false when none can. */
  async writeForeignAck(envelopeId: string, payload?: Record<string, unknown>): Promise<boolean> {
    for (const runner of this.runners) {
      if (await runner.writeForeignAck(envelopeId, payload)) return true;
    }
    return false;
  }

  /** Starts every slot without leases (tests of the socket lifecycle alone). */
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
