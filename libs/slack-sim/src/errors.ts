import { SocketworksError } from '@socketworks/runtime';

export type SlackSimErrorCode =
  | 'ERR_SIM_INVALID_OPTION'
  | 'ERR_SIM_INVALID_INPUT'
  | 'ERR_SIM_NO_SOCKET'
  | 'ERR_SIM_CLOSED'
  | 'ERR_SIM_LISTEN_FAILED';

/** Misuse of the simulator by its driver (bad option, bad inject input, no socket to write to). */
export class SlackSimError extends SocketworksError<SlackSimErrorCode> {}
