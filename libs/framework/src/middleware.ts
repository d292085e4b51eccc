// The `next()` runner, after Bolt's `processMiddleware`: each function gets the arguments plus a
// `next` that runs the rest of the chain and resolves when it has finished, so code after
// `await next()` runs on the way back out. A function that does not call `next` ends the chain.
import { FrameworkError } from './errors';
import type { Middleware, NextFn } from './types';

/**
 * Runs `chain` in order with `args`; `last` runs if every function called `next`.
 * Resolves `true` when the chain ran to its end (through `last`), `false` when a function stopped it.
 */
export async function runMiddleware<Args extends object>(
  chain: readonly Middleware<Args>[],
  args: Args,
  last?: () => Promise<void>,
): Promise<boolean> {
  let reachedEnd = false;
  const invoke = async (index: number): Promise<void> => {
    if (index === chain.length) {
      reachedEnd = true;
      if (last) await last();
      return;
    }
    const fn = chain[index]!;
    let called = false;
    const next: NextFn = () => {
      if (called) return Promise.reject(new FrameworkError('ERR_MIDDLEWARE_NEXT_TWICE', `middleware ${index} called next() twice`));
      called = true;
      return invoke(index + 1);
    };
    await fn({ ...args, next });
  };
  await invoke(0);
  return reachedEnd;
}
