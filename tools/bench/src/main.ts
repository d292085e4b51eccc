// `npm run bench [-- options]`: runs the benchmark and writes bench-results/. See README.md.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { REPO_ROOT } from '@socketworks/testing';
import { Bench, DEFAULT_WORKERS, type BenchOptions } from './bench';
import { writeOutputs } from './output';
import { PLAN_PARTS, planNamed, restrictPlan } from './plan';
import { MAX_REPEAT } from './repeats';
import type { BenchResult, SystemName } from './result-types';
import { evaluateTargets } from './targets';
import { workerQueuesProblems } from './worker-queues';

const USAGE = `usage: npm run bench [-- options]
  --quick                   reduced set, under two minutes
  --plan full|quick|tiny    (tiny: the integration test's few hundred envelopes)
  --out DIR                 where to write results (default: bench-results/ at the repository root)
  --redis-url URL           use this Redis instead of a private redis-server on a spare port
  --connectors N            connector processes in the comparison (default 2)
  --sockets N               SLACK_CONNECTIONS: sockets the connectors hold together (default 2)
  --workers N               worker processes in the comparison (default 2)
  --worker-nice N           WORKER_NICE of those workers, 0-19 (default 0; 10 = the connectors' acks first)
  --worker-queues SPEC      WORKER_QUEUES of those workers in the comparison scenarios and saturation:
                            one value for all (events:64,sync:32) or one per worker separated by ';'
                            ('events:64;interactive:32,commands:32,sync:32'); default: the worker's,
                            and the sizing guide's rule for slow handlers
  --repeat N                run each comparison scenario N times per system, 1-${MAX_REPEAT} (default 1);
                            tables show the run with the median ack p99, the summary the range
  --systems a,b             socketworks,bolt (default both)
  --only a,b                run only these parts: ${PLAN_PARTS.join(', ')}
  --render FILE             run nothing: write the Markdown and charts again from a result JSON`;

export interface CliOptions {
  bench: Omit<BenchOptions, 'log'>;
  outDir: string;
  /** Re-render from this JSON instead of running. */
  render?: string;
}

export function parseArgs(argv: string[]): CliOptions {
  let plan = 'full';
  let only: string[] | undefined;
  let render: string | undefined;
  let outDir = resolve(REPO_ROOT, 'bench-results');
  const bench: Omit<BenchOptions, 'log' | 'plan' | 'command'> = {};
  const int = (v: string | undefined, name: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`${name} must be a whole number ≥ 1`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new RangeError(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case '--quick':
        plan = 'quick';
        break;
      case '--plan':
        plan = value();
        break;
      case '--out':
        outDir = resolve(value());
        break;
      case '--redis-url':
        bench.redisUrl = value();
        break;
      case '--connectors':
        bench.connectors = int(value(), arg);
        break;
      case '--sockets':
        bench.slackConnections = int(value(), arg);
        break;
      case '--workers':
        bench.workers = int(value(), arg);
        break;
      case '--worker-nice': {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 0 || n > 19) throw new RangeError(`${arg} must be a whole number from 0 to 19`);
        bench.workerNice = n;
        break;
      }
      case '--worker-queues':
        bench.workerQueues = value();
        break;
      case '--repeat': {
        const n = int(value(), arg);
        if (n > MAX_REPEAT) throw new RangeError(`${arg} must be at most ${MAX_REPEAT}`);
        bench.repeat = n;
        break;
      }
      case '--systems': {
        const systems = value().split(',').map((s) => s.trim());
        for (const s of systems) if (s !== 'socketworks' && s !== 'bolt') throw new RangeError(`--systems: unknown system ${s}`);
        bench.systems = systems as SystemName[];
        break;
      }
      case '--render':
        render = resolve(value());
        break;
      case '--only':
        only = value().split(',').map((s) => s.trim()).filter(Boolean);
        break;
      case '-h':
      case '--help':
        process.stdout.write(`${USAGE}\n`);
        process.exit(0);
        break;
      default:
        throw new RangeError(`unknown option ${arg}\n${USAGE}`);
    }
  }
  if (bench.workerQueues !== undefined) {
    // Checked once every option is read: it depends on --workers.
    const problems = workerQueuesProblems(bench.workerQueues, bench.workers ?? DEFAULT_WORKERS);
    if (problems.length > 0) throw new RangeError(`--worker-queues: ${problems.join('; ')}`);
  }
  const command = `npm run bench${argv.length ? ` -- ${argv.map(shellWord).join(' ')}` : ''}`;
  const chosen = only ? restrictPlan(planNamed(plan), only) : planNamed(plan);
  return { bench: { ...bench, plan: chosen, command }, outDir, render };
}

async function main(): Promise<void> {
  let cli: CliOptions;
  try {
    cli = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
  if (cli.render) {
    // The same JSON gives the same report; targets are judged again by the current rules.
    const result = JSON.parse(await readFile(cli.render, 'utf8')) as BenchResult;
    result.targets = evaluateTargets(result);
    const files = await writeOutputs(result, cli.outDir);
    process.stdout.write(`wrote ${files.join(', ')}\n`);
    return;
  }
  // A closed pipe (`| head`) must not kill the run halfway: cleanup still has to happen.
  process.stdout.on('error', () => undefined);
  const t0 = Date.now();
  const log = (line: string) => process.stdout.write(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${line}\n`);
  const bench = new Bench({ ...cli.bench, log });
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping every process the benchmark started`);
    void bench.abort().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const result = await bench.run();
    result.processes = bench.startedProcesses();
    const files = await writeOutputs(result, cli.outDir);
    log(`done in ${(result.wallMs / 1000).toFixed(1)} s; wrote ${files.map((f) => f.replace(`${REPO_ROOT}/`, '')).join(', ')}`);
    for (const t of result.targets) log(`  ${t.pass === null ? 'n/a ' : t.pass ? 'MET ' : 'MISS'} ${t.text}: ${t.measured}`);
    if (result.failures.length > 0) {
      log(`${result.failures.length} scenario(s) failed: see "failures" in the JSON`);
      process.exitCode = 1;
    }
  } catch (err) {
    if (!stopping) {
      process.stderr.write(`benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    }
  }
}

if (require.main === module) void main();

/** An argument as a shell would need it quoted, for the command echoed in the report. */
function shellWord(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`;
}
