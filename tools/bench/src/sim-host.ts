// Child process: the simulator (libs/slack-sim) on 127.0.0.1 and the load runner next to it, so
// acks are timed by an event loop that does nothing else (the driver's bookkeeping, sampling and
// report writing happen in the parent). Its CPU and RSS are sampled like every other process.
// Started by the benchmark with child_process.fork; exits when the parent goes away.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { SlackSim } from '@socketworks/slack-sim';
import { announceReady, serveCommands } from './ipc';
import { nowMs, runLoad } from './load-runner';
import type { LoadSpec } from './load-types';
import { LOOP_RESOLUTION_MS, loopDelayMs } from './stats';

export interface SimHostReady {
  port: number;
  apiUrl: string;
}

/** Records kept by the simulator itself; our own bookkeeping does not need them (long runs stay small). */
const MAX_RECORDS = 20000;

async function main(): Promise<void> {
  const sim = await SlackSim.start({ host: '127.0.0.1', port: 0, maxRecords: MAX_RECORDS });
  let loading = false;
  const close = async () => {
    await sim.close();
  };
  serveCommands(
    {
      /** Resolves once at least `min` sockets are open and the count has not changed for `stableMs`. */
      waitSockets: async (args) => {
        const { min, timeoutMs, stableMs } = args as { min: number; timeoutMs: number; stableMs: number };
        const deadline = nowMs() + timeoutMs;
        let last = -1;
        let since = nowMs();
        for (;;) {
          const open = sim.sockets().filter((s) => s.state === 'open' && s.helloAt !== null).length;
          if (open !== last) {
            last = open;
            since = nowMs();
          }
          if (open >= min && nowMs() - since >= stableMs) return open;
          if (nowMs() > deadline) return open;
          await new Promise((r) => setTimeout(r, 25));
        }
      },
      load: async (args) => {
        if (loading) throw new Error('a load is already running');
        loading = true;
        try {
          return await runLoad(sim, args as LoadSpec);
        } finally {
          loading = false;
        }
      },
      sockets: () => sim.sockets(),
      stats: () => sim.stats(),
      /** Event-loop delay over `ms` of idle time: the simulator's own noise floor. */
      idleLag: async (args) => {
        const h = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
        h.enable();
        await new Promise((r) => setTimeout(r, (args as { ms: number }).ms));
        h.disable();
        return { p99: loopDelayMs(h.percentile(99)), max: loopDelayMs(h.max) };
      },
      close: async () => {
        await close();
        setImmediate(() => process.exit(0));
        return true;
      },
    },
    () => {
      void close().finally(() => process.exit(0));
    },
  );
  announceReady({ port: sim.port, apiUrl: sim.apiUrl } satisfies SimHostReady);
}

main().catch((err: unknown) => {
  process.stderr.write(`sim-host failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
