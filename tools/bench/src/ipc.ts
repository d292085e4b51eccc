// A tiny request/response protocol over Node's IPC channel, for the child processes the benchmark
// forks (the simulator host, the Bolt app, the enqueue-ceiling probe). The child answers each
// `{id, cmd, args}` with `{id, ok, result | error}`, and announces itself with `{ready: …}`.
import { fork, type ChildProcess } from 'node:child_process';

interface Request {
  id: number;
  cmd: string;
  args?: unknown;
}

interface Reply {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

export class BenchError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'BenchError';
  }
}

// --- child side ---

export type CommandHandlers = Record<string, (args: unknown) => Promise<unknown> | unknown>;

/**
 * Serves commands from the parent. The child exits when the parent goes away (the IPC channel
 * closes): a benchmark killed hard must not leave a simulator or an app running.
 */
export function serveCommands(handlers: CommandHandlers, onParentGone: () => void): void {
  if (!process.send) throw new BenchError('ERR_BENCH_NO_IPC', 'this entry point is started by the benchmark (child_process.fork)');
  process.on('message', (message: Request) => {
    const handler = handlers[message.cmd];
    const reply = (r: Omit<Reply, 'id'>) => process.send?.({ id: message.id, ...r });
    if (!handler) {
      reply({ ok: false, error: `unknown command ${message.cmd}` });
      return;
    }
    Promise.resolve()
      .then(() => handler(message.args))
      .then(
        (result) => reply({ ok: true, result }),
        (err: unknown) => reply({ ok: false, error: err instanceof Error ? `${err.message}` : String(err) }),
      );
  });
  process.on('disconnect', onParentGone);
}

export function announceReady(info: unknown): void {
  process.send?.({ ready: info });
}

// --- parent side ---

export interface ForkedChild<Ready> {
  name: string;
  child: ChildProcess;
  pid: number;
  ready: Ready;
  call<T>(cmd: string, args?: unknown, timeoutMs?: number): Promise<T>;
  /** stderr and stdout, the last 20 kB, for error messages. */
  output(): string;
}

export interface ForkOptions {
  name: string;
  entry: string;
  env: Record<string, string>;
  /** @defaultValue 20000 */
  readyTimeoutMs?: number;
  /** Called as soon as the process exists (before it is ready), so it can be killed on any failure. */
  onSpawn?: (child: ChildProcess) => void;
}

const OUTPUT_KEEP = 20000;

export function forkChild<Ready>(options: ForkOptions): Promise<ForkedChild<Ready>> {
  const child = fork(options.entry, [], {
    env: { PATH: process.env.PATH ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    execArgv: [],
  });
  options.onSpawn?.(child);
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_KEEP);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let seq = 0;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  const failAll = (why: string) => {
    for (const [id, p] of pending) {
      clearTimeout(p.timer);
      p.reject(new BenchError('ERR_BENCH_CHILD_EXITED', `${options.name}: ${why}\n${output.slice(-2000)}`));
      pending.delete(id);
    }
  };
  child.on('message', (m: Reply | { ready: unknown }) => {
    if ('id' in m) {
      const p = pending.get(m.id);
      if (!p) return;
      pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.ok) p.resolve(m.result);
      else p.reject(new BenchError('ERR_BENCH_CHILD_COMMAND', `${options.name}: ${m.error ?? 'command failed'}`));
    }
  });
  child.on('exit', (code, signal) => failAll(`exited (code ${code}, signal ${signal})`));
  child.on('error', (err) => failAll(`process error: ${err.message}`));

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new BenchError('ERR_BENCH_CHILD_START', `${options.name} was not ready within ${options.readyTimeoutMs ?? 20000} ms\n${output.slice(-2000)}`));
    }, options.readyTimeoutMs ?? 20000);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new BenchError('ERR_BENCH_CHILD_START', `${options.name} exited before it was ready (code ${code})\n${output.slice(-2000)}`));
    };
    child.once('exit', onExit);
    const onReady = (m: { ready?: unknown }) => {
      if (!m || typeof m !== 'object' || !('ready' in m)) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      child.off('message', onReady);
      resolve({
        name: options.name,
        child,
        pid: child.pid ?? 0,
        ready: m.ready as Ready,
        output: () => output,
        call: <T>(cmd: string, args?: unknown, timeoutMs = 120000) =>
          new Promise<T>((res, rej) => {
            if (!child.connected) {
              rej(new BenchError('ERR_BENCH_CHILD_EXITED', `${options.name} is not running`));
              return;
            }
            const id = ++seq;
            const t = setTimeout(() => {
              pending.delete(id);
              rej(new BenchError('ERR_BENCH_CHILD_TIMEOUT', `${options.name}: ${cmd} did not answer within ${timeoutMs} ms`));
            }, timeoutMs);
            pending.set(id, { resolve: res as (v: unknown) => void, reject: rej, timer: t });
            child.send({ id, cmd, args } satisfies Request);
          }),
      });
    };
    child.on('message', onReady);
  });
}
