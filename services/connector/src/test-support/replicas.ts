// Test support (not built into dist): several connector processes (the built dist/main.js, as
// operators run it) sharing one queue prefix, the simulator in this process, and the counts the
// ownership tests assert on: sockets open at every instant, each replica's leases, jobs per event.
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { SlackSim, type SlackSimOptions } from '@socketworks/slack-sim';
import { bullPrefix } from '@socketworks/protocol';
import { deleteKeys, getTestRedisUrl, startConnectorProcess, uniquePrefix, waitFor, type ServiceProcess } from '@socketworks/testing';

export interface ReplicaSetOptions {
  name: string;
  sim?: SlackSimOptions;
  /** Another Redis than the shared test one. */
  redisUrl?: string;
  /** Connector environment for every replica (on top of short test timings). */
  env?: Record<string, string>;
}

export interface Replica {
  name: string;
  proc: ServiceProcess;
  opsPort: number;
  /** The slots whose lease this replica holds (from /readyz), or undefined when it does not answer. */
  heldSlots(): Promise<number[] | undefined>;
  readyz(): Promise<{ status: number; body: Record<string, unknown> }>;
}

/** Lease TTL for the tests: takeovers in ~1.5 s instead of 5. */
export const TEST_LEASE_TTL_MS = 1500;

export class ReplicaSet {
  readonly replicas: Replica[] = [];
  /** Sockets the simulator holds right now (from socket_open to socket_close, refused ones too). */
  openNow = 0;
  /** The most sockets open at any instant. */
  openMax = 0;
  private readonly openTimeline: Array<{ at: number; open: number }> = [];

  private constructor(
    readonly sim: SlackSim,
    readonly prefix: string,
    readonly redisUrl: string,
    private readonly env: Record<string, string>,
  ) {
    sim.on('socket_open', () => this.count(1));
    sim.on('socket_close', () => this.count(-1));
  }

  static async start(options: ReplicaSetOptions): Promise<ReplicaSet> {
    const redisUrl = options.redisUrl ?? (await getTestRedisUrl());
    const sim = await SlackSim.start({ redeliveryTimeoutMs: 3000, ...options.sim });
    return new ReplicaSet(sim, uniquePrefix(options.name), redisUrl, {
      CONNECTOR_LEASE_TTL_MS: String(TEST_LEASE_TTL_MS),
      METRICS_HOST: '127.0.0.1',
      ...options.env,
    });
  }

  /** Starts one more connector process; resolves once it runs (it may hold no slot yet). */
  async add(name: string, env: Record<string, string> = {}): Promise<Replica> {
    const proc = await startConnectorProcess({
      name,
      redisUrl: this.redisUrl,
      queuePrefix: this.prefix,
      slackApiUrl: this.sim.apiUrl,
      logLevel: 'info',
      sockets: 0,
      env: { ...this.env, ...env },
    });
    const started = await proc.waitForLog((l) => l.msg === 'ops server listening' && typeof l.port === 'number', { timeoutMs: 15000 });
    const opsPort = started.port as number;
    const readyz = async () => {
      const res = await fetch(`http://127.0.0.1:${opsPort}/readyz`);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const replica: Replica = {
      name,
      proc,
      opsPort,
      readyz,
      heldSlots: async () => {
        if (proc.exited()) return undefined;
        try {
          const { body } = await readyz();
          const leases = (body.leases ?? []) as Array<{ slot: number; lease: string }>;
          return leases.filter((l) => l.lease === 'held').map((l) => l.slot);
        } catch {
          // A stopped (SIGSTOP) or exiting process does not answer: the caller reads that as unknown.
          return undefined;
        }
      },
    };
    this.replicas.push(replica);
    return replica;
  }

  /**
   * Two replicas holding one slot each, the way a deployment gets there: A takes both slots, then
   * B joins and A, over its target, hands one over. `bJoinedAt`: when B was started.
   */
  async addPair(): Promise<{ a: Replica; b: Replica; bJoinedAt: number }> {
    const a = await this.add('connector-a');
    await this.waitForSplit([[a, 2]]);
    const bJoinedAt = Date.now();
    const b = await this.add('connector-b');
    await this.waitForSplit([[a, 1], [b, 1]]);
    return { a, b, bJoinedAt };
  }

  /** Waits until the given replicas hold these many slots each, and the simulator has that many sockets with hello open. */
  async waitForSplit(split: Array<[Replica, number]>, timeoutMs = 15000): Promise<void> {
    const total = split.reduce((sum, [, n]) => sum + n, 0);
    await waitFor(
      async () => {
        for (const [replica, n] of split) {
          const held = await replica.heldSlots();
          if (held?.length !== n) return false;
        }
        return this.sim.sockets().filter((s) => s.state === 'open' && s.helloAt !== null).length === total;
      },
      { timeoutMs, message: `slots split ${split.map(([r, n]) => `${r.name}:${n}`).join(' ')}` },
    );
  }

  /** Event ids that have no job in the events queue (each event_id is one job id: `ev-<event_id>`). */
  async eventsWithoutJob(eventIds: string[]): Promise<{ missing: string[]; jobs: number }> {
    const connection = new Redis(this.redisUrl, { maxRetriesPerRequest: null });
    const queue = new Queue('events', { connection, prefix: bullPrefix(this.prefix) });
    try {
      const pipeline = connection.pipeline();
      for (const id of eventIds) pipeline.exists(queue.toKey(`ev-${id}`));
      const results = (await pipeline.exec()) ?? [];
      const missing = eventIds.filter((_, i) => results[i]?.[1] !== 1);
      const counts = await queue.getJobCounts('wait', 'active', 'delayed', 'completed', 'failed', 'prioritized');
      return { missing, jobs: Object.values(counts).reduce((a, b) => a + b, 0) };
    } finally {
      await queue.close();
      connection.disconnect();
    }
  }

  /** When the open-socket count went above `limit`, if it did. */
  overLimit(limit: number): Array<{ at: number; open: number }> {
    return this.openTimeline.filter((p) => p.open > limit);
  }

  async close(): Promise<void> {
    await Promise.all(this.replicas.map(async (r) => {
      // A stopped process must be continued to be killed cleanly.
      if (!r.proc.exited()) r.proc.child.kill('SIGCONT');
      await r.proc.stop('SIGKILL');
    }));
    await this.sim.close();
    await deleteKeys(this.redisUrl, `{${this.prefix}}*`);
  }

  private count(delta: number): void {
    this.openNow += delta;
    this.openMax = Math.max(this.openMax, this.openNow);
    this.openTimeline.push({ at: Date.now(), open: this.openNow });
  }
}
