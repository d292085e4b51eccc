import { SocketworksError } from '@socketworks/runtime';

export type WorkerErrorCode =
  /** APP_MODULE names nothing that can be resolved. */
  | 'ERR_WORKER_APP_MODULE_NOT_FOUND'
  /** APP_MODULE was found but threw while loading. */
  | 'ERR_WORKER_APP_MODULE_LOAD'
  /** APP_MODULE loaded but exports no register function. */
  | 'ERR_WORKER_APP_MODULE_INVALID'
  /** The app's register function threw. */
  | 'ERR_WORKER_APP_REGISTER'
  /** A job's stored data (or opts, progress, parent) is not JSON: failed for good, never run. */
  | 'ERR_WORKER_JOB_UNREADABLE';

export class WorkerError extends SocketworksError<WorkerErrorCode> {}
