// CPU and memory of every process the benchmark started, every ~250 ms: /proc/<pid>/stat
// (utime + stime) and /proc/<pid>/status (VmRSS) for Node processes, Redis's own INFO
// (used_cpu_user + used_cpu_sys, used_memory_rss) for Redis, and /proc/stat for the whole machine
// (so other load on a shared machine shows up as "other").
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { round1 } from './stats';

export const SAMPLE_INTERVAL_MS = 250;

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100; // Linux's USER_HZ everywhere we run
    }
  }
  return clockTicks;
}

/** utime + stime in seconds, or undefined once the process is gone. */
export function procCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); utime is field 14, stime field 15.
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
  } catch {
    return undefined;
  }
}

export function procRssMb(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Busy and total jiffies of the whole machine (all cores). */
function machineTicks(): { busy: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    const total = v.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

export interface Sample {
  /** Epoch ms. */
  t: number;
  /** % of one core since the previous sample. */
  cpu: number;
  rssMb: number;
}

export interface ProcessUsage {
  name: string;
  pid: number;
  /** Average % of one core over the window (100 = one full core). */
  cpuAvgPct: number;
  /** Highest ~1 s average in the window. */
  cpuPeakPct: number;
  rssPeakMb: number;
}

interface Track {
  name: string;
  pid: number;
  read: () => Promise<{ cpuSeconds: number; rssMb: number } | undefined>;
  last?: { t: number; cpuSeconds: number };
  samples: Sample[];
}

export class ProcessSampler {
  private readonly tracks: Track[] = [];
  private timer: NodeJS.Timeout | undefined;
  private machineLast: { t: number; busy: number; total: number } | undefined;
  private readonly machine: Sample[] = [];
  private sampling: Promise<void> | undefined;

  /** Samples a Node (or any Linux) process through /proc. */
  trackPid(name: string, pid: number): void {
    this.tracks.push({
      name,
      pid,
      samples: [],
      read: async () => {
        const cpuSeconds = procCpuSeconds(pid);
        const rssMb = procRssMb(pid);
        return cpuSeconds === undefined || rssMb === undefined ? undefined : { cpuSeconds, rssMb };
      },
    });
  }

  /** Samples Redis through INFO (its CPU counters and RSS as Redis reports them). */
  trackRedis(name: string, pid: number, redis: Redis): void {
    this.tracks.push({
      name,
      pid,
      samples: [],
      read: async () => {
        try {
          const info = await redis.info();
          const num = (key: string) => Number(new RegExp(`^${key}:([0-9.]+)`, 'm').exec(info)?.[1] ?? NaN);
          const cpuSeconds = num('used_cpu_user') + num('used_cpu_sys');
          const rssMb = num('used_memory_rss') / 1024 / 1024;
          return Number.isFinite(cpuSeconds) ? { cpuSeconds, rssMb } : undefined;
        } catch {
          return undefined;
        }
      },
    });
  }

  start(): void {
    if (this.timer) return;
    const tick = () => {
      this.sampling = this.sampleOnce().finally(() => {
        this.sampling = undefined;
      });
    };
    tick();
    this.timer = setInterval(tick, SAMPLE_INTERVAL_MS);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.sampling;
  }

  private async sampleOnce(): Promise<void> {
    const t = Date.now();
    await Promise.all(
      this.tracks.map(async (track) => {
        const r = await track.read();
        if (!r) return;
        if (track.last && t > track.last.t) {
          const cpu = ((r.cpuSeconds - track.last.cpuSeconds) * 1000 * 100) / (t - track.last.t);
          track.samples.push({ t, cpu: Math.max(0, cpu), rssMb: r.rssMb });
        }
        track.last = { t, cpuSeconds: r.cpuSeconds };
      }),
    );
    const m = machineTicks();
    if (m) {
      if (this.machineLast && m.total > this.machineLast.total) {
        const cores = (m.total - this.machineLast.total) / ticksPerSecond() / ((t - this.machineLast.t) / 1000);
        const busyPct = ((m.busy - this.machineLast.busy) / (m.total - this.machineLast.total)) * 100 * Math.max(1, Math.round(cores));
        this.machine.push({ t, cpu: busyPct, rssMb: 0 });
      }
      this.machineLast = { t, ...m };
    }
  }

  /** Usage of each tracked process between `from` and `to` (epoch ms). */
  usage(from: number, to: number): ProcessUsage[] {
    return this.tracks.map((track) => summarizeSamples(track.name, track.pid, track.samples.filter((s) => s.t > from && s.t <= to + SAMPLE_INTERVAL_MS)));
  }

  /** Whole-machine busy % (100 per core) between `from` and `to`. */
  machineBusyPct(from: number, to: number): number {
    const s = this.machine.filter((x) => x.t > from && x.t <= to + SAMPLE_INTERVAL_MS);
    return s.length === 0 ? 0 : round1(s.reduce((a, b) => a + b.cpu, 0) / s.length);
  }
}

export function summarizeSamples(name: string, pid: number, samples: Sample[]): ProcessUsage {
  if (samples.length === 0) return { name, pid, cpuAvgPct: 0, cpuPeakPct: 0, rssPeakMb: 0 };
  const avg = samples.reduce((a, s) => a + s.cpu, 0) / samples.length;
  // Peak over ~1 s windows: a single 250 ms sample is too coarse (one GC looks like a spike).
  const per = Math.max(1, Math.round(1000 / SAMPLE_INTERVAL_MS));
  let peak = 0;
  for (let i = 0; i + per <= samples.length || (i === 0 && samples.length < per); i++) {
    const w = samples.slice(i, i + per);
    peak = Math.max(peak, w.reduce((a, s) => a + s.cpu, 0) / w.length);
    if (samples.length < per) break;
  }
  return { name, pid, cpuAvgPct: round1(avg), cpuPeakPct: round1(peak), rssPeakMb: round1(Math.max(...samples.map((s) => s.rssMb))) };
}
