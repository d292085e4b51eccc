// Loading the app (APP_MODULE). The contract: a CommonJS module (or an ES module Node 20 can
// `require`) whose default export — or the module itself — is `register(app, { env })`, called
// once at start, possibly async.
import { isAbsolute, resolve } from 'node:path';
import type { App } from '@socketworks/framework';
import { WorkerError } from './errors';

export interface RegisterOptions {
  /** The worker's environment without its secrets (see `appEnvironment`). */
  env: Readonly<Record<string, string | undefined>>;
}

export type RegisterFn = (app: App, options: RegisterOptions) => unknown;

/** A path (starts with `.` or is absolute) or a package name. */
export function isModulePath(spec: string): boolean {
  return spec.startsWith('.') || isAbsolute(spec);
}

/**
 * Resolves and loads `spec`: a path relative to `cwd` (or absolute), or a package name looked up
 * from `cwd` first (an app installed next to the worker), then from the worker itself (the bundled
 * example app).
 */
export function loadAppModule(spec: string, cwd: string = process.cwd()): RegisterFn {
  let file: string;
  try {
    file = isModulePath(spec) ? require.resolve(resolve(cwd, spec)) : require.resolve(spec, { paths: [cwd, __dirname] });
  } catch (err) {
    throw new WorkerError('ERR_WORKER_APP_MODULE_NOT_FOUND', `APP_MODULE: cannot find module ${JSON.stringify(spec)} (is it built?)`, { cause: err });
  }
  let loaded: unknown;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the module is named at run time
    loaded = require(file);
  } catch (err) {
    const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new WorkerError('ERR_WORKER_APP_MODULE_LOAD', `APP_MODULE: loading ${JSON.stringify(spec)} failed: ${why}`, { cause: err });
  }
  const register = registerFnOf(loaded);
  if (!register) {
    throw new WorkerError(
      'ERR_WORKER_APP_MODULE_INVALID',
      `APP_MODULE: ${JSON.stringify(spec)} exports no register function (a default export, or module.exports = function)`,
    );
  }
  return register;
}

function registerFnOf(loaded: unknown): RegisterFn | undefined {
  const def = typeof loaded === 'object' || typeof loaded === 'function' ? (loaded as { default?: unknown } | null)?.default : undefined;
  if (typeof def === 'function') return def as RegisterFn;
  if (typeof loaded === 'function') return loaded as RegisterFn;
  return undefined;
}
