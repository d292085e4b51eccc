// Runs a built service as a real process and keeps its JSON log lines for assertions.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { JsonLineCollector, type LogLine } from './json-lines';
import { waitFor, type WaitForOptions } from './wait';

export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  /** Every stdout line parsed as JSON (lines that are not JSON are kept as `{ msg: line }`). */
  logs: LogLine[];
  /** Raw stdout and stderr text, for searching secrets. */
  output(): string;
  waitForLog(predicate: (line: LogLine) => boolean, options?: WaitForOptions): Promise<LogLine>;
  /** Sends a signal and waits for the process to exit; returns its exit code. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
  exited(): boolean;
}

export interface SpawnServiceOptions {
  name: string;
  /** Path to the built entry point (`services/x/dist/main.js`). */
  entry: string;
  env: Record<string, string>;
  /** Echo the child's output to this process's stderr (debugging). @defaultValue false */
  echo?: boolean;
}

export function spawnService(options: SpawnServiceOptions): ServiceProcess {
  const child = spawn(process.execPath, [options.entry], {
    env: { PATH: process.env.PATH ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const collector = new JsonLineCollector();
  const logs = collector.lines;
  const chunks: string[] = [];
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    chunks.push(chunk);
    if (options.echo) process.stderr.write(`[${options.name}] ${chunk}`);
    collector.push(chunk);
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    chunks.push(chunk);
    if (options.echo) process.stderr.write(`[${options.name}!] ${chunk}`);
  });
  return {
    name: options.name,
    child,
    logs,
    output: () => chunks.join(''),
    waitForLog: (predicate, waitOptions) =>
      waitFor(() => logs.find(predicate), { message: `a log line from ${options.name}`, ...waitOptions }),
    stop: async (signal = 'SIGTERM', timeoutMs = 15000) => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      const [code] = (await exited) as [number | null];
      clearTimeout(timer);
      return code;
    },
    exited: () => child.exitCode !== null || child.signalCode !== null,
  };
}
