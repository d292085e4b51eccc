#!/usr/bin/env node
// Prints what failures-reporter.mjs recorded for each project (test-artifacts/failures/*.txt), so
// the end of `npm test`'s output says which tests failed and why. Exits 0: the caller keeps its
// own exit code. With --reset it removes what an earlier run recorded, and prints nothing.
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const dir = resolve(import.meta.dirname, '../../test-artifacts/failures');
if (process.argv.includes('--reset')) {
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}
const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.txt')).sort() : [];
const blocks = files.map((f) => [f.replace(/\.txt$/, ''), readFileSync(join(dir, f), 'utf8').trim()]).filter(([, text]) => text !== '');
if (blocks.length === 0) {
  console.log('\nNo failed test was recorded (the failure is outside the test files: build, lint or a test runner error above).');
} else {
  console.log('\nFailed tests, by project:');
  for (const [project, text] of blocks) console.log(`\n── ${project} ──\n${text}`);
}
