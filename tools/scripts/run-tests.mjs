#!/usr/bin/env node
// Runs one project's tests with Node's own test runner, TypeScript loaded through tsx.
// Usage: node tools/scripts/run-tests.mjs <projectRoot>
// Files: every `*.test.ts` under <projectRoot>/src. Test files run one at a time: integration
// tests start real processes and Redis servers, and a 2-core machine gives honest timings only
// when they do not fight each other.
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { spawn } from 'node:child_process';

const root = resolve(process.argv[2] ?? '.');
const filter = process.env.TEST_FILTER;

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...find(path));
    else if (name.endsWith('.test.ts') && (!filter || path.includes(filter))) out.push(path);
  }
  return out.sort();
}

const files = find(join(root, 'src'));
if (files.length === 0) {
  console.error(`no test files under ${join(root, 'src')}`);
  process.exit(1);
}
// Failed tests also go to test-artifacts/failures/<project>.txt (print-failures.mjs shows them at
// the end of `npm test`), named after the project's path; a passing run leaves an empty file.
const repoRoot = resolve(import.meta.dirname, '../..');
const failuresDir = join(repoRoot, 'test-artifacts/failures');
const failuresFile = join(failuresDir, `${relative(repoRoot, root).replaceAll('/', '-') || 'root'}.txt`);
mkdirSync(failuresDir, { recursive: true });
rmSync(failuresFile, { force: true });
const child = spawn(
  process.execPath,
  [
    '--import', 'tsx', '--test', '--test-concurrency=1',
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    `--test-reporter=${join(import.meta.dirname, 'failures-reporter.mjs')}`, `--test-reporter-destination=${failuresFile}`,
    ...files,
  ],
  { stdio: 'inherit', cwd: root },
);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
