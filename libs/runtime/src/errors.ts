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

/** A short, loggable description of anything thrown. */
export function describeError(err: unknown): { message: string; code?: string; name?: string } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { message: err.message, name: err.name, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { message: String(err) };
}
