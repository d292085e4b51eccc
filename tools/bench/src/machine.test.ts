import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { codeRevision } from './machine';

test('codeRevision: the commit checked out, and whether anything outside bench-results/ differs from it', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-revision-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=bench', '-c', 'user.email=bench@example.com', ...args], { cwd: dir, encoding: 'utf8' }).trim();
  git('init', '-q');
  writeFileSync(join(dir, 'code.ts'), 'export const a = 1;\n');
  git('add', 'code.ts');
  git('commit', '-q', '-m', 'one');
  const head = git('rev-parse', 'HEAD');

  assert.deepEqual(codeRevision(dir), { commit: head, changed: false });
  mkdirSync(join(dir, 'bench-results'));
  writeFileSync(join(dir, 'bench-results', 'latest.json'), '{}');
  assert.deepEqual(codeRevision(dir), { commit: head, changed: false }, 'the run writes its own results there');
  writeFileSync(join(dir, 'code.ts'), 'export const a = 2;\n');
  assert.deepEqual(codeRevision(dir), { commit: head, changed: true }, 'an edited file');
  git('checkout', '-q', 'code.ts');
  writeFileSync(join(dir, 'new.ts'), 'export const b = 1;\n');
  assert.deepEqual(codeRevision(dir), { commit: head, changed: true }, 'a new file not committed yet');
});

test('codeRevision: null outside a git checkout', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-no-git-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.equal(codeRevision(dir), null);
});
