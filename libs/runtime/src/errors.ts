/**
 * Base for the product's own errors: a stable `code` (`ERR_<AREA>_<REASON>`) and the standard
 * `cause`. An area names its codes once: `class WorkerError extends SocketworksError<WorkerErrorCode> {}`.
 */
export class SocketworksError<Code extends string = string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** What {@link describeError} gives: safe to log, and it says why through `cause`. */
export interface ErrorDescription {
  message: string;
  code?: string;
  name?: string;
  cause?: ErrorDescription;
}

/** Causes followed at most; a chain longer than this (or a cycle) is cut there. */
const MAX_CAUSE_DEPTH = 3;

/** A short, loggable description of anything thrown, with its `cause` chain (the reason a wrapper gives none). */
export function describeError(err: unknown): ErrorDescription {
  return describe(err, 0);
}

function describe(err: unknown, depth: number): ErrorDescription {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const cause = depth < MAX_CAUSE_DEPTH && err.cause !== undefined ? { cause: describe(err.cause, depth + 1) } : {};
    return { message: err.message, name: err.name, ...(typeof code === 'string' ? { code } : {}), ...cause };
  }
  try {
    return { message: String(err) };
  } catch {
    // An object whose toString is not callable: String() throws.
    return { message: `thrown ${err === null ? 'null' : typeof err}` };
  }
}

/**
 * Lets each distinct error through once while it repeats (a connection fails the same way on
 * every reconnect attempt): `fresh` describes an error only when it differs from the last one,
 * `reset` (on recovery) lets the next one through and says whether any was held back.
 */
export class RepeatedErrors {
  private last = '';

  fresh(err: unknown): ErrorDescription | undefined {
    const described = describeError(err);
    const key = `${described.code ?? ''}:${described.message}`;
    if (key === this.last) return undefined;
    this.last = key;
    return described;
  }

  reset(): boolean {
    const had = this.last !== '';
    this.last = '';
    return had;
  }
}
