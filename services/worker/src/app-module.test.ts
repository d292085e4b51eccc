// APP_MODULE: a package name or a path (absolute, or relative to the current directory) to a
// built module whose default export — or the module itself — is the register function.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import exampleApp from '@socketworks/example-app';
import { loadAppModule } from './app-module';
import type { WorkerError } from './errors';

let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'worker-app-module-'));
  await writeFile(join(dir, 'exports-function.js'), 'module.exports = function register(app) { app.marker = "function"; };\n');
  await writeFile(join(dir, 'exports-default.js'), 'exports.default = function register(app) { app.marker = "default"; };\n');
  await writeFile(join(dir, 'exports-nothing.js'), 'exports.notRegister = 42;\n');
  await writeFile(join(dir, 'throws.js'), 'throw new Error("broken app");\n');
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const codeOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    return (err as WorkerError).code;
  }
  return 'no error';
};

test('a package name resolves to the bundled example app', () => {
  assert.equal(loadAppModule('@socketworks/example-app'), exampleApp);
});

test('module.exports = function and a default export both work, by absolute or relative path', () => {
  const marker = (fn: (app: never, options: never) => unknown) => {
    const target: { marker?: string } = {};
    fn(target as never, { env: {} } as never);
    return target.marker;
  };
  assert.equal(marker(loadAppModule(join(dir, 'exports-function.js'))), 'function');
  assert.equal(marker(loadAppModule(join(dir, 'exports-default.js'))), 'default');
  const rel = relative(process.cwd(), join(dir, 'exports-default.js'));
  assert.equal(marker(loadAppModule(rel.startsWith('.') ? rel : `./${rel}`)), 'default');
  assert.equal(marker(loadAppModule('./exports-function.js', dir)), 'function');
  assert.equal(marker(loadAppModule('./exports-function', dir)), 'function', 'the .js suffix may be left out');
});

test('a missing module, a module that throws, and one without a register function fail with codes', () => {
  assert.equal(codeOf(() => loadAppModule('@socketworks/no-such-app')), 'ERR_WORKER_APP_MODULE_NOT_FOUND');
  assert.equal(codeOf(() => loadAppModule(join(dir, 'missing.js'))), 'ERR_WORKER_APP_MODULE_NOT_FOUND');
  assert.equal(codeOf(() => loadAppModule(join(dir, 'throws.js'))), 'ERR_WORKER_APP_MODULE_LOAD');
  assert.equal(codeOf(() => loadAppModule(join(dir, 'exports-nothing.js'))), 'ERR_WORKER_APP_MODULE_INVALID');
});
