export interface WaitForOptions {
  /** @defaultValue 10000 */
  timeoutMs?: number;
  /** @defaultValue 25 */
  intervalMs?: number;
  /** Said in the error when the time runs out. */
  message?: string;
}

/** Polls `check` until it returns a truthy value (returned) or the time runs out (throws). */
export async function waitFor<T>(check: () => T | Promise<T>, options: WaitForOptions = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + (options.timeoutMs ?? 10000);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${options.timeoutMs ?? 10000} ms waiting for ${options.message ?? 'a condition'}${why}`);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 25));
  }
}

export function uniquePrefix(name: string): string {
  return `t-${name}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}
