// The machine a run measured: what a reader needs to compare two reports.
import { availableParallelism, cpus, loadavg, release, totalmem, type } from 'node:os';
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import type { Machine } from './result-types';

function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) return m[1]!.trim();
  } catch {
    // Not Linux: os.cpus() below.
  }
  return cpus()[0]?.model ?? 'unknown';
}

export async function machineInfo(redis: Redis): Promise<Machine> {
  const info = await redis.info('server');
  return {
    nproc: availableParallelism(),
    cpuModel: cpuModel(),
    memoryGb: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    redis: /redis_version:([^\r\n]+)/.exec(info)?.[1] ?? 'unknown',
    os: `${type()} ${release()}`,
    loadAverageAtStart: Math.round(loadavg()[0]! * 100) / 100,
  };
}
