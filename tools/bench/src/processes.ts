// Every process the benchmark starts is registered here the moment it exists, so a failure, a
// timeout or Ctrl-C stops all of them: SIGTERM, then SIGKILL after a grace period; and a
// synchronous SIGKILL sweep on process exit as the last resort.
import { once } from 'node:events';
import type { ChildProcess } from 'node:child_process';

export interface StartedProcess {
  name: string;
  pid: number;
}

export class ProcessRegistry {
  private readonly live = new Map<ChildProcess, string>();
  private readonly everStarted: StartedProcess[] = [];
  /** Processes started by someone else for us (the private redis-server): killed by pid on exit. */
  private readonly foreign: StartedProcess[] = [];
  private readonly exitSweep = () => this.sweep();

  constructor() {
    process.on('exit', this.exitSweep);
  }

  add(name: string, child: ChildProcess): void {
    if (child.pid !== undefined) this.everStarted.push({ name, pid: child.pid });
    this.live.set(child, name);
    child.once('exit', () => this.live.delete(child));
  }

  /** A process we own but did not spawn here; killed in the exit sweep if still running. */
  addPid(name: string, pid: number): void {
    this.everStarted.push({ name, pid });
    this.foreign.push({ name, pid });
  }

  /** Every process started so far (for the report and the "all gone" check). */
  started(): StartedProcess[] {
    return [...this.everStarted];
  }

  /** SIGTERM, wait up to `graceMs`, then SIGKILL. Resolves when the process is gone. */
  async stop(child: ChildProcess, graceMs = 10000): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }

  async stopAll(graceMs = 10000): Promise<void> {
    await Promise.all([...this.live.keys()].map((c) => this.stop(c, graceMs)));
  }

  killAllNow(): void {
    for (const child of this.live.keys()) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }

  /** Last resort on exit: everything, our own children and the foreign pids. */
  private sweep(): void {
    this.killAllNow();
    for (const { pid } of this.foreign) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch (err) {
        // ESRCH: already gone, which is the goal.
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
      }
    }
  }

  dispose(): void {
    process.off('exit', this.exitSweep);
  }
}

/** True while a process with this pid exists (and is not a zombie we reaped). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
