// Which replica owns which connection slot. Each slot is a Redis lease (libs/lease: a lock with a
// fencing token and a pause-safe local validity bound); this class wins, renews, hands over and
// gives up those leases, and starts or stops the slot's SlotRunner accordingly.
//
// Every TTL/3 a tick renews the leases held, writes this replica's membership heartbeat and reads
// the whole slot table in one script (deployment-state.ts), then reconciles:
//   target = ceil(slots / live replicas)
//   under target → take free slots, and take on handover requests of other replicas;
//   over target  → ask for one slot to be taken over (one handover at a time).
// A handover is make-before-break: the taker opens a socket for the slot, waits for its hello, then
// moves the lease with LeaseLock.transfer (a compare-and-set on the old owner's token); the old
// owner sees the lease gone (a control message, or its next renew) and closes its socket after its
// last acks. SIGTERM (leave()) hands every slot over that way.
//
// Fencing: the slot's runner asks ackGate() right before every ack. An ack is written only while
// the lease is valid by the local monotonic clock; past that, the lease is renewed first (a CAS on
// our token), and if another replica holds it the socket is closed at once and nothing is acked.
import type { RedisClient } from '@socketworks/runtime';
import type { Logger } from 'pino';
import { LeaseLock, type Lease } from '@socketworks/lease';
import { describeError } from '@socketworks/runtime';
import type { ConnectorMetrics } from '../metrics';
import type { SlotManager, SlotOwnership } from '../socket/slot-manager';
import type { HeldSockets } from '../socket/slot-runner';
import { AckForwarder } from './ack-forwarder';
import { DeploymentState, handoverValue, type DeploymentView, type HandoverRequest, type ReserveResult } from './deployment-state';
import type { SlotBus } from './slot-bus';
import type { SlotKeys } from './slot-keys';

/** Slack's cap on an app's simultaneous Socket Mode connections (PROTOCOL.md §2). */
export const SLACK_SOCKETS_PER_APP = 10;

export interface SlotLeaseKeeperOptions {
  slots: SlotManager;
  /** The lease connection (offline queue on, command timeout ≤ TTL/3). Also publishes on the bus. */
  redis: RedisClient;
  bus: SlotBus;
  keys: SlotKeys;
  replicaId: string;
  /** `CONNECTOR_LEASE_TTL_MS` */
  ttlMs: number;
  /** `CONNECTOR_UNLEASED_SOCKET_MAX_MS` */
  unleasedSocketMaxMs: number;
  logger: Logger;
  metrics: ConnectorMetrics;
  /** A taken-on handover must have its socket's hello within this, or it is given up. @defaultValue 15000 */
  handoverTimeoutMs?: number;
}

type Ownership =
  | { kind: 'none' }
  /** An acquire or a handover claim is in flight. */
  | { kind: 'pending' }
  /** `lapsedAt`: renewals failing (Redis unreachable) and the local validity is over. */
  | { kind: 'held'; lease: Lease; lapsedAt?: number; socketClosed?: boolean }
  /** We asked another replica to take the slot; we serve it until the lease moves. */
  | { kind: 'outgoing'; lease: Lease; until: number; reason: HandoverRequest['reason'] }
  /** We took on another replica's handover request: our socket opens, then the lease moves to us. */
  | { kind: 'incoming'; from: Lease; settled: Promise<boolean>; settle: (ok: boolean) => void }
  /** The runner is closing: handed over (the old lease bounds the last acks) or lost (no acks). */
  | { kind: 'closing'; lease?: Lease };

export class SlotLeaseKeeper implements SlotOwnership {
  private readonly own: Ownership[];
  private readonly locks: LeaseLock[];
  private readonly state: DeploymentState;
  private readonly forwarderImpl: AckForwarder;
  private readonly logger: Logger;
  private readonly tickMs: number;
  private readonly handoverTimeoutMs: number;
  private view: DeploymentView | undefined;
  /** Who took each slot over from us, from the `transferred` message (the cross-socket ack target). */
  private readonly takers = new Map<number, string>();
  private readonly freeSince = new Map<number, number>();
  private readonly handoverSeen = new Map<number, number>();
  private readonly renewing = new Map<number, Promise<boolean>>();
  /** Slots whose takeover (claim → socket → lease transfer) this replica is running. */
  private readonly claiming = new Set<number>();
  /** Per slot, the handover request (`from|token`) whose deferred takeover was last logged. */
  private readonly deferredLogged = new Map<number, string>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private again = false;
  private leaving = false;
  /** performance.now() by which a SIGTERM handover must be done (the `leaving` requests' TTL). */
  private leaveDeadline = 0;
  /**
   * Handovers in flight at once, per leaving replica and (from the slot table, a first filter) per
   * taker: each one holds a second socket for its slot from the taker's connect until the old
   * socket closes, and the app's sockets must stay within Slack's cap — past it Slack refuses the
   * new socket (too_many_websockets) and the slot backs off ≥ 60 s instead of moving. The claim
   * itself (DeploymentState.reserve) decides across the deployment, refreshes included.
   */
  private readonly handoverConcurrency: number;
  private stopped = false;
  private lastBeatAt = -Infinity;
  private lastRedisError = '';
  /** After Redis answers again, free slots wait one TTL: every replica first renews its own. */
  private quietUntil = 0;
  private reportDirty = false;
  private reporting: Promise<void> | undefined;

  constructor(private readonly options: SlotLeaseKeeperOptions) {
    const count = options.slots.size;
    this.logger = options.logger.child({ replica_id: options.replicaId });
    this.tickMs = Math.max(50, Math.floor(options.ttlMs / 3));
    this.handoverTimeoutMs = options.handoverTimeoutMs ?? 15000;
    this.handoverConcurrency = Math.max(1, SLACK_SOCKETS_PER_APP - count);
    this.own = Array.from({ length: count }, () => ({ kind: 'none' }) as Ownership);
    this.locks = Array.from({ length: count }, (_, n) => new LeaseLock({ redis: options.redis, key: options.keys.slot(n), ownerId: options.replicaId, ttlMs: options.ttlMs }));
    this.state = new DeploymentState(options.redis, options.keys, count, options.replicaId, options.ttlMs);
    this.forwarderImpl = new AckForwarder({
      bus: options.bus,
      replicaId: options.replicaId,
      target: (slot) => this.forwardTarget(slot),
      writeLocal: (envelopeId, payload) => options.slots.writeForeignAck(envelopeId, payload),
      logger: this.logger,
      metrics: options.metrics,
    });
    options.bus.on('control', (message) => {
      if (message.type === 'transferred' && message.from === options.replicaId) {
        this.takers.set(message.slot, message.to);
        if (this.own[message.slot]?.kind === 'outgoing') this.handedOver(message.slot);
      }
      if (message.from !== options.replicaId) this.kick();
    });
    options.slots.on('sockets', () => {
      this.report();
      // Halted: a socket that closed frees its slot's lease (releaseHalted) without waiting a tick.
      if (options.slots.halted) this.kick();
    });
    options.slots.attach(this);
  }

  /** First tick now, then every TTL/3. */
  start(): void {
    this.kick();
  }

  /** Whether this replica's membership heartbeat succeeded within the TTL (readiness). */
  get participating(): boolean {
    return !this.stopped && performance.now() - this.lastBeatAt < this.options.ttlMs;
  }

  status(): Array<{ slot: number; lease: string; token?: number }> {
    return this.own.map((o, slot) => ({ slot, lease: o.kind, ...('lease' in o && o.lease ? { token: o.lease.token } : {}) }));
  }

  // --- SlotOwnership: asked by the slots ---

  ackGate(slot: number): boolean | Promise<boolean> {
    const o = this.own[slot];
    switch (o?.kind) {
      case 'held':
      case 'outgoing':
        return LeaseLock.isValid(o.lease) ? true : this.renew(slot);
      case 'incoming':
        return o.settled;
      case 'closing':
        // Handed over: the old socket's last acks, while our lease was still ours by the clock.
        return o.lease !== undefined && LeaseLock.isValid(o.lease);
      default:
        return false;
    }
  }

  onFenced(slot: number): void {
    this.logger.info({ slot, lease: this.own[slot]?.kind }, 'an ack was refused for want of a valid lease');
    this.kick();
  }

  forwarder(slot: number): ((slot: number, envelopeId: string, payload?: Record<string, unknown>) => Promise<void>) | undefined {
    // No replica to ask: the envelope is not even enqueued (a job without an ack would run a
    // handler the user was told failed); Slack redelivers events.
    if (this.stopped || this.forwardTarget(slot) === undefined) return undefined;
    return (n, envelopeId, payload) => this.forwarderImpl.forward(n, envelopeId, payload);
  }

  deploymentSockets(): Promise<HeldSockets> {
    return this.state.deploymentSockets();
  }

  // --- SIGTERM ---

  /**
   * Hands every held slot over to the other replicas (make-before-break), within `budgetMs`.
   * Resolves when every slot is handed over or the budget ends; the caller then closes what is
   * left (connector.stop). Alone in the deployment, it resolves at once: nobody can take over.
   */
  async leave(budgetMs: number): Promise<void> {
    this.leaving = true;
    const started = performance.now();
    const deadline = started + budgetMs;
    this.leaveDeadline = deadline;
    for (let n = 0; n < this.own.length; n++) {
      const o = this.own[n]!;
      if (o.kind === 'incoming') this.giveUpIncoming(n, o, 'this replica is stopping');
    }
    // The tick running now may have written a `join` heartbeat; the next one takes us out of the
    // membership, so the others count without us before our handover requests reach them.
    await this.ticking;
    await this.tickNow();
    const others = (this.view?.members ?? []).filter((m) => m !== this.options.replicaId);
    const held = this.own.flatMap((o, n) => (o.kind === 'held' || o.kind === 'outgoing' ? [n] : []));
    if (held.length === 0) return;
    if (others.length === 0) {
      this.logger.info({ slots: held }, 'no other replica is live: closing the slots without a handover');
      return;
    }
    // At most handoverConcurrency slots move at once (each briefly has two sockets: the taker's
    // and ours); the next is asked for once one has moved and its old socket closed.
    const queue = [...held];
    const moving = () => this.own.filter((o) => o.kind === 'outgoing' || o.kind === 'closing').length;
    // Replicas stopping together (a scale to zero) each saw the others live: the ticks go on while
    // we wait, and once nobody else is in the membership nobody will take over, so waiting ends.
    const othersLive = () => (this.view?.members ?? []).some((m) => m !== this.options.replicaId);
    while (performance.now() < deadline && othersLive()) {
      while (queue.length > 0 && moving() < this.handoverConcurrency) {
        const n = queue.shift()!;
        if (this.own[n]!.kind === 'held') await this.requestHandover(n, 'leaving');
      }
      if (queue.length === 0 && moving() === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const kept = this.own.flatMap((o, n) => (o.kind === 'held' || o.kind === 'outgoing' ? [n] : []));
    this.logger.info(
      { handed_over: held.filter((n) => !kept.includes(n)), kept, took_ms: Math.round(performance.now() - started) },
      kept.length > 0 && !othersLive() ? 'the other replicas left too: closing the remaining slots without a handover' : 'handover finished',
    );
  }

  /** Frees the leases still held (their sockets are closed by now), so others need not wait for the TTL. */
  async releaseAll(): Promise<void> {
    await Promise.all(this.own.map((o, n) => (o.kind === 'held' || o.kind === 'outgoing' ? this.release(n, o.lease) : undefined)));
    this.updateHeldGauge();
  }

  /**
   * The app is halted (auth_failed, link_disabled): frees the leases of the slots whose sockets
   * have all closed. A slot whose socket is still up keeps its lease (renewed by the ticks) until
   * that socket closes: under auth_failed the socket still receives envelopes (Slack closes it at
   * its next refresh), and without a valid lease each would be enqueued and never acked — a job
   * Slack redelivers (a duplicate) or an interactive payload the user is told failed, while another
   * replica could take the slot and open a second socket. Kept, every envelope the socket reads is
   * enqueued and acked as before. Under link_disabled the sockets are closing: the lease lets their
   * in-flight acks be written first. A halted runner never reconnects, so each lease goes once
   * its socket has closed (the slots' `sockets` event kicks a tick).
   */
  private async releaseHalted(): Promise<void> {
    const done = this.own.map(async (o, n) => {
      if (o.kind !== 'held' && o.kind !== 'outgoing') return;
      const sockets = this.options.slots.runner(n).heldSockets();
      if (sockets.open + sockets.connecting > 0) return;
      await this.release(n, o.lease);
    });
    await Promise.all(done);
    this.updateHeldGauge();
  }

  private async release(n: number, lease: Lease): Promise<void> {
    this.own[n] = { kind: 'none' };
    this.options.metrics.leaseLosses.inc({ reason: 'released' });
    try {
      await this.locks[n]!.release(lease);
      await this.options.bus.publishControl({ type: 'released', slot: n, from: this.options.replicaId });
    } catch (err) {
      // The lease expires on its own within the TTL; the other replicas take it then.
      this.logger.warn({ slot: n, err: describeError(err) }, 'could not release a slot lease (it expires within the TTL)');
    }
  }

  /** Stops ticking and the bus. Call after the slots closed and in-flight acks settled. */
  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.ticking;
    this.forwarderImpl.close();
    try {
      await this.state.tick('leave', { open: 0, connecting: 0 });
      await this.state.forget();
    } catch (err) {
      // Our membership and socket report expire within the TTL anyway.
      this.logger.info({ err: describeError(err) }, 'could not leave the membership (it expires within the TTL)');
    }
    await this.options.bus.close();
  }

  // --- ticks ---

  /** Runs a tick as soon as possible (coalesced with one already running). */
  private kick(): void {
    if (this.stopped) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tickNow(), 0);
  }

  private tickNow(): Promise<void> {
    if (this.ticking) {
      this.again = true;
      return this.ticking;
    }
    clearTimeout(this.timer);
    this.ticking = this.tick()
      .catch((err: unknown) => {
        // A bug in reconciling; the next tick starts from Redis's state again.
        this.logger.error({ err: describeError(err) }, 'slot lease tick failed');
      })
      .finally(() => {
        this.ticking = undefined;
        if (this.stopped) return;
        const delay = this.again ? 0 : this.nextDelayMs();
        this.again = false;
        this.timer = setTimeout(() => void this.tickNow(), delay);
      });
    return this.ticking;
  }

  private async tick(): Promise<void> {
    // The heartbeat goes out first, then the renewals, on one connection (Redis runs them in that
    // order): a replica's membership expires just before its leases, so whoever finds a lease
    // expired also finds its owner gone and counts the target without it.
    const heartbeat = this.state.tick(this.leaving ? 'leave' : 'join', this.options.slots.heldSockets());
    const renewals = this.own.flatMap((o, n) => (o.kind === 'held' || o.kind === 'outgoing' ? [this.renew(n)] : []));
    let view: DeploymentView | undefined;
    try {
      view = await heartbeat;
      this.lastBeatAt = performance.now();
      this.redisRecovered();
    } catch (err) {
      this.redisFailed(err);
    }
    await Promise.allSettled(renewals);
    this.closeLongUnleased();
    if (view) {
      this.view = view;
      this.reconcile(view);
    }
    this.ensureRunners();
    this.updateHeldGauge();
  }

  /**
   * Next tick: every TTL/3; sooner when another replica's lease would expire first (its owner
   * renews every TTL/3, so only a dead or paused owner's lease gets that close to expiry: the
   * takeover then happens within the TTL of the owner's last renewal).
   */
  private nextDelayMs(): number {
    let delay = this.tickMs;
    const view = this.view;
    if (!view || this.leaving) return delay;
    for (const slot of view.slots) {
      if (slot.holder && slot.holder.ownerId !== this.options.replicaId && slot.holder.ttlMs >= 0) {
        delay = Math.min(delay, slot.holder.ttlMs + 10);
      }
    }
    if (view.slots.some((s) => s.holder === null)) delay = Math.min(delay, Math.max(50, Math.floor(this.tickMs / 2)));
    return Math.max(10, delay);
  }

  private reconcile(view: DeploymentView): void {
    const self = this.options.replicaId;
    const now = performance.now();
    for (let n = 0; n < this.own.length; n++) {
      const o = this.own[n]!;
      const holder = view.slots[n]?.holder;
      if (o.kind === 'outgoing' && holder && holder.ownerId !== self) this.handedOver(n);
      else if (o.kind === 'outgoing' && now > o.until) {
        this.own[n] = { kind: 'held', lease: o.lease };
        this.logger.info({ slot: n, reason: o.reason }, 'nobody took the slot over in time: keeping it');
      }
    }
    if (this.leaving || this.options.slots.halted) {
      if (this.options.slots.halted) void this.releaseHalted();
      return;
    }
    if (now < this.quietUntil) return;
    const target = Math.ceil(this.own.length / Math.max(1, view.members.length));
    let count = this.own.filter((o) => o.kind !== 'none' && o.kind !== 'closing').length;
    // A replica already at its target still takes what nobody under target took after a while
    // (the membership it counted may include a replica that just died).
    const patienceMs = this.tickMs;
    // Takeovers under way in the deployment (claimed by anyone, or ours not visible in Redis yet):
    // each opens a second socket for its slot, so a few at a time keep the app under Slack's cap.
    let claims = view.slots.filter((slot, n) => slot.claimedBy || this.claiming.has(n) || this.own[n]!.kind === 'incoming').length;
    for (let n = 0; n < this.own.length; n++) {
      const slot = view.slots[n]!;
      const request = slot.handover;
      const valid = request && request.from !== self && !slot.claimedBy && slot.holder?.ownerId === request.from && slot.holder.token === request.token;
      if (!valid || this.own[n]!.kind !== 'none') {
        this.handoverSeen.delete(n);
      } else {
        const seen = this.handoverSeen.get(n) ?? now;
        this.handoverSeen.set(n, seen);
        if ((count < target || (request.reason === 'leaving' && now - seen >= patienceMs)) && claims < this.handoverConcurrency) {
          count += 1;
          claims += 1;
          void this.claim(n, request);
        }
      }
      if (slot.holder !== null || this.own[n]!.kind !== 'none') {
        this.freeSince.delete(n);
      } else {
        const since = this.freeSince.get(n) ?? now;
        this.freeSince.set(n, since);
        if (count < target || now - since >= patienceMs) {
          count += 1;
          void this.acquire(n);
        }
      }
    }
    const busy = this.own.some((o) => o.kind === 'outgoing' || o.kind === 'incoming' || o.kind === 'pending');
    if (count > target && !busy) {
      // The highest-numbered slot, so replicas converge on the same split.
      const held = this.own.flatMap((o, n) => (o.kind === 'held' && LeaseLock.isValid(o.lease) ? [n] : []));
      const n = held[held.length - 1];
      if (n !== undefined) void this.requestHandover(n, 'rebalance');
    }
  }

  /** A held slot whose runner is idle (new lease, or a socket closed while the lease lapsed) starts. */
  private ensureRunners(): void {
    // Leaving: the slots not handed over keep running until connector.stop closes them.
    if (this.leaving || this.stopped) return;
    for (let n = 0; n < this.own.length; n++) {
      const o = this.own[n]!;
      if (o.kind === 'held' && LeaseLock.isValid(o.lease) && !o.socketClosed) this.options.slots.runner(n).start();
    }
  }

  // --- leases ---

  /**
   * Renews slot n's lease (coalesced). True when it is ours and valid again. A renew answered
   * "not yours" re-acquires a slot nobody holds (Redis lost the key) or gives the slot up; a renew
   * that fails (Redis unreachable) changes nothing but the lapse bookkeeping: the socket stays,
   * acks wait for a valid lease (README "Redis unreachable").
   */
  private renew(n: number): Promise<boolean> {
    const running = this.renewing.get(n);
    if (running) return running;
    const done = this.renewOnce(n).finally(() => this.renewing.delete(n));
    this.renewing.set(n, done);
    return done;
  }

  private async renewOnce(n: number): Promise<boolean> {
    const o = this.own[n]!;
    if (o.kind !== 'held' && o.kind !== 'outgoing') return false;
    let renewed: Lease | null;
    try {
      renewed = await this.locks[n]!.renew(o.lease);
    } catch (err) {
      this.redisFailed(err);
      if (o.kind === 'held' && !LeaseLock.isValid(o.lease) && o.lapsedAt === undefined) {
        o.lapsedAt = performance.now();
        this.options.metrics.leaseLosses.inc({ reason: 'expired' });
        this.logger.warn({ slot: n, keep_socket_ms: this.options.unleasedSocketMaxMs }, 'slot lease lapsed (Redis unreachable): socket kept open, no ack until the lease is renewed');
      }
      return false;
    }
    if (this.own[n] !== o) return false;
    if (renewed) {
      o.lease = renewed;
      if (o.kind === 'held' && o.lapsedAt !== undefined) {
        this.logger.info({ slot: n, token: renewed.token }, 'slot lease renewed again after a lapse');
        this.own[n] = { kind: 'held', lease: renewed };
      }
      return true;
    }
    if (o.kind === 'outgoing') {
      this.handedOver(n);
      return false;
    }
    // Not ours any more. Redis may have lost the key (a restart without persistence): then it is
    // free and we take it back; if another replica holds it, we give the slot up at once.
    let again: Lease | null = null;
    try {
      again = await this.locks[n]!.acquire();
    } catch (err) {
      this.redisFailed(err);
    }
    if (this.own[n] !== o) {
      if (again) await this.locks[n]!.release(again).catch((err: unknown) => this.redisFailed(err));
      return false;
    }
    if (again) {
      this.own[n] = { kind: 'held', lease: again };
      this.options.metrics.leaseAcquisitions.inc({ how: 'acquire' });
      this.logger.warn({ slot: n, token: again.token, previous_token: o.lease.token }, 'slot lease had vanished from Redis: taken again');
      return true;
    }
    this.lose(n, 'taken');
    return false;
  }

  private async acquire(n: number): Promise<void> {
    this.own[n] = { kind: 'pending' };
    let lease: Lease | null = null;
    try {
      lease = await this.locks[n]!.acquire();
    } catch (err) {
      this.redisFailed(err);
    }
    if (!lease || this.leaving || this.stopped || this.options.slots.halted) {
      if (lease) await this.locks[n]!.release(lease).catch((err: unknown) => this.redisFailed(err));
      this.own[n] = { kind: 'none' };
      return;
    }
    this.own[n] = { kind: 'held', lease };
    this.options.metrics.leaseAcquisitions.inc({ how: 'acquire' });
    this.logger.info({ slot: n, token: lease.token }, 'slot lease acquired');
    this.options.slots.runner(n).start();
    this.updateHeldGauge();
  }

  private lose(n: number, reason: 'taken' | 'expired'): void {
    const closing: Ownership = { kind: 'closing' };
    this.own[n] = closing;
    this.options.metrics.leaseLosses.inc({ reason });
    this.logger.warn({ slot: n, reason }, 'slot lease lost: closing its socket at once');
    this.settleClosing(n, closing, this.options.slots.runner(n).stop({ immediate: true }));
  }

  /** Closes sockets of slots whose lease lapsed (Redis unreachable) longer than allowed. */
  private closeLongUnleased(): void {
    for (let n = 0; n < this.own.length; n++) {
      const o = this.own[n]!;
      if (o.kind !== 'held' || o.lapsedAt === undefined || o.socketClosed) continue;
      if (performance.now() - o.lapsedAt < this.options.unleasedSocketMaxMs) continue;
      o.socketClosed = true;
      this.logger.warn({ slot: n, unleased_for_ms: Math.round(performance.now() - o.lapsedAt) }, 'slot lease lapsed too long: closing its socket until Redis answers again');
      void this.options.slots.runner(n).stop({ immediate: true });
    }
  }

  // --- handovers ---

  private async requestHandover(n: number, reason: HandoverRequest['reason']): Promise<void> {
    const o = this.own[n]!;
    if (o.kind !== 'held') return;
    const ttlMs = reason === 'leaving' ? Math.max(1, Math.round(this.leaveDeadline - performance.now())) : this.handoverTimeoutMs;
    const request: HandoverRequest = { from: this.options.replicaId, token: o.lease.token, reason };
    const outgoing: Ownership = { kind: 'outgoing', lease: o.lease, until: performance.now() + ttlMs, reason };
    this.own[n] = outgoing;
    try {
      await this.options.redis.set(this.options.keys.handover(n), handoverValue(request), 'PX', ttlMs);
      await this.options.bus.publishControl({ type: 'handover', slot: n, from: this.options.replicaId });
      this.logger.info({ slot: n, reason, token: o.lease.token }, 'asked another replica to take the slot over');
    } catch (err) {
      this.redisFailed(err);
      if (this.own[n] === outgoing) this.own[n] = { kind: 'held', lease: outgoing.lease };
    }
  }

  /** The lease moved to another replica: close our socket after its last acks (no pause). */
  private handedOver(n: number): void {
    const o = this.own[n]!;
    if (o.kind !== 'outgoing' && o.kind !== 'held') return;
    const closing: Ownership = { kind: 'closing', lease: o.lease };
    this.own[n] = closing;
    this.options.metrics.leaseLosses.inc({ reason: 'handed_over' });
    this.logger.info({ slot: n, to: this.takers.get(n) }, 'slot handed over: closing our socket after its last acks');
    const stopped = this.options.slots.runner(n).stop({ keepReading: true });
    this.settleClosing(n, closing, stopped);
    // Takeovers of other slots may wait for this socket to close (the cap): tell them it has.
    void stopped.then(() => this.options.bus.publishControl({ type: 'closed', slot: n, from: this.options.replicaId })).catch((err: unknown) => this.redisFailed(err));
    void this.state.deleteIf(this.options.keys.handover(n), handoverValue({ from: this.options.replicaId, token: o.lease.token, reason: o.kind === 'outgoing' ? o.reason : 'rebalance' })).catch((err: unknown) => this.redisFailed(err));
  }

  /** Takes on another replica's handover request: socket first, lease second. */
  private claim(n: number, request: HandoverRequest): Promise<void> {
    this.claiming.add(n);
    return this.claimOnce(n, request).finally(() => this.claiming.delete(n));
  }

  private async claimOnce(n: number, request: HandoverRequest): Promise<void> {
    this.own[n] = { kind: 'pending' };
    const self = this.options.replicaId;
    let claimed = false;
    try {
      const result = await this.state.reserve(this.options.keys.claim(n), this.handoverTimeoutMs, SLACK_SOCKETS_PER_APP);
      claimed = result.outcome === 'reserved';
      if (result.outcome === 'no_room') this.noRoomForTakeover(n, request, result);
    } catch (err) {
      this.redisFailed(err);
    }
    if (!claimed || this.leaving || this.stopped) {
      if (claimed) void this.state.deleteIf(this.options.keys.claim(n), self).catch((err: unknown) => this.redisFailed(err));
      this.own[n] = { kind: 'none' };
      return;
    }
    let settle!: (ok: boolean) => void;
    const settled = new Promise<boolean>((resolve) => (settle = resolve));
    const incoming: Ownership = { kind: 'incoming', from: { ownerId: request.from, token: request.token, validUntil: 0 }, settled, settle };
    this.own[n] = incoming;
    this.logger.info({ slot: n, from: request.from, reason: request.reason }, 'taking a slot over: opening its socket before the lease moves');
    const runner = this.options.slots.runner(n);
    await runner.stop();
    const hello = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        runner.off('connected', onConnected);
        resolve(false);
      }, this.handoverTimeoutMs);
      const onConnected = () => {
        clearTimeout(timer);
        resolve(true);
      };
      runner.once('connected', onConnected);
    });
    runner.start();
    const connected = await hello;
    if (this.own[n] !== incoming) return;
    if (!connected) return this.giveUpIncoming(n, incoming, 'no hello in time');
    let lease: Lease | null = null;
    try {
      lease = await this.locks[n]!.transfer(incoming.from, self);
      if (!lease) lease = await this.locks[n]!.acquire(); // the old lease ended meanwhile: free?
    } catch (err) {
      this.redisFailed(err);
    }
    if (this.own[n] !== incoming) return;
    if (!lease) return this.giveUpIncoming(n, incoming, 'the lease moved elsewhere');
    this.own[n] = { kind: 'held', lease };
    incoming.settle(true);
    this.options.metrics.leaseAcquisitions.inc({ how: 'transfer' });
    this.logger.info({ slot: n, from: request.from, token: lease.token }, 'slot taken over');
    this.updateHeldGauge();
    void this.options.bus.publishControl({ type: 'transferred', slot: n, from: request.from, to: self }).catch((err: unknown) => this.redisFailed(err));
    void this.state.deleteIf(this.options.keys.handover(n), handoverValue(request)).catch((err: unknown) => this.redisFailed(err));
    void this.state.deleteIf(this.options.keys.claim(n), self).catch((err: unknown) => this.redisFailed(err));
  }

  /**
   * A takeover would have taken the app over Slack's socket cap (other moves are under way, or
   * their old sockets are still closing): the request stays, and a later tick takes it on — the
   * next `closed` message from the replica whose old socket closes, or the regular tick.
   */
  private noRoomForTakeover(n: number, request: HandoverRequest, counts: ReserveResult): void {
    this.options.metrics.extraSocketsDeferred.inc({ kind: 'takeover' });
    const key = `${request.from}|${request.token}`;
    if (this.deferredLogged.get(n) === key) return;
    this.deferredLogged.set(n, key);
    this.logger.info(
      { slot: n, from: request.from, deployment_sockets: counts.sockets, extra_sockets_reserved: counts.reserved, cap: SLACK_SOCKETS_PER_APP },
      "slot takeover deferred: one more socket would take the app over Slack's socket cap",
    );
  }

  // --- refreshes ---

  /**
   * A refresh of slot n (Slack's `warning` / `refresh_requested`) is about to open the replacement
   * while the old socket still serves: true once one more socket fits under Slack's cap across the
   * deployment, reserved until {@link releaseRefresh}; false = no room now, ask again. Redis
   * unreachable: true (nothing is enqueued or acked meanwhile anyway; Slack has the last word).
   */
  async reserveRefresh(n: number): Promise<boolean> {
    try {
      const result = await this.state.reserve(this.options.keys.refresh(n), this.handoverTimeoutMs, SLACK_SOCKETS_PER_APP);
      if (result.outcome !== 'no_room') return true;
      this.options.metrics.extraSocketsDeferred.inc({ kind: 'refresh' });
      return false;
    } catch (err) {
      this.redisFailed(err);
      return true;
    }
  }

  /**
   * The refresh's replacement has its hello (or gave up): the reservation goes, after this
   * replica's socket report (same connection, in order), so the new socket is never uncounted.
   */
  releaseRefresh(n: number): void {
    const report = this.state.report(this.options.slots.heldSockets());
    const release = this.state.deleteIf(this.options.keys.refresh(n), this.options.replicaId);
    void Promise.all([report, release]).catch((err: unknown) => this.redisFailed(err));
  }

  private giveUpIncoming(n: number, incoming: Extract<Ownership, { kind: 'incoming' }>, why: string): void {
    const closing: Ownership = { kind: 'closing' };
    this.own[n] = closing;
    incoming.settle(false);
    this.logger.warn({ slot: n, from: incoming.from.ownerId, why }, 'slot takeover given up: closing the new socket');
    this.settleClosing(n, closing, this.options.slots.runner(n).stop({ immediate: true }));
    void this.state.deleteIf(this.options.keys.claim(n), this.options.replicaId).catch((err: unknown) => this.redisFailed(err));
  }

  private settleClosing(n: number, closing: Ownership, stopped: Promise<void>): void {
    void stopped.finally(() => {
      if (this.own[n] === closing) this.own[n] = { kind: 'none' };
      this.updateHeldGauge();
      this.kick();
    });
  }

  // --- helpers ---

  /** The replica to write a cross-socket ack: the one that took `slot` from us, else any live holder. */
  private forwardTarget(slot: number): string | undefined {
    const self = this.options.replicaId;
    const taker = this.takers.get(slot);
    if (taker) return taker;
    const view = this.view;
    if (!view) return undefined;
    const holder = view.slots[slot]?.holder?.ownerId;
    if (holder && holder !== self) return holder;
    return view.slots.map((s) => s.holder?.ownerId).find((owner) => owner !== undefined && owner !== self && view.members.includes(owner));
  }

  /** Tells the deployment this replica's socket count now (hello.num_connections check). */
  private report(): void {
    this.reportDirty = true;
    if (this.reporting || this.stopped) return;
    this.reporting = (async () => {
      while (this.reportDirty) {
        this.reportDirty = false;
        try {
          await this.state.report(this.options.slots.heldSockets());
        } catch (err) {
          // The next tick reports again; only the num_connections check is less exact meanwhile.
          this.redisFailed(err);
          return;
        }
      }
    })().finally(() => (this.reporting = undefined));
  }

  private updateHeldGauge(): void {
    this.options.metrics.slotsHeld.set(this.own.filter((o) => o.kind === 'held' || o.kind === 'outgoing').length);
  }

  /** Logs a Redis failure once per distinct error (ioredis logs the connection state itself). */
  private redisFailed(err: unknown): void {
    const described = describeError(err);
    if (described.message === this.lastRedisError) return;
    this.lastRedisError = described.message;
    this.logger.warn({ err: described }, 'slot leases: RedisClient command failed');
  }

  private redisRecovered(): void {
    if (this.lastRedisError) {
      this.logger.info('slot leases: RedisClient answers again');
      // After an outage longer than the TTL every lease and heartbeat has expired: the first
      // replica back would see all slots free and itself alone, and take them all. For one TTL
      // it only renews (or takes back) its own; the others' reconnect back-off differs.
      this.quietUntil = performance.now() + this.options.ttlMs;
    }
    this.lastRedisError = '';
  }
}
