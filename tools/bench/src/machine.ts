// The machine a run measured: what a reader needs to compare two reports.
import { availableParallelism, cpus, loadavg, release, totalmem, type } from 'node:os';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import type { CodeRevision, Machine } from './result-types';

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

/**
 * The commit checked out in `repoRoot` and whether the working tree differs from it (the run's
 * own output folder, bench-results/, aside); null outside a git checkout or without git.
 */
export function codeRevision(repoRoot: string): CodeRevision | null {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10000 });
  try {
    const commit = git('rev-parse', 'HEAD').trim();
    const changed = git('status', '--porcelain', '--', '.', ':(exclude)bench-results').trim() !== '';
    return { commit, changed };
  } catch {
    return null;
  }
}
