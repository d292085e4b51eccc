// Many small writes to one socket in the same turn of the event loop cost one system call each.
// A coalescer corks the socket at the first write of a turn and uncorks it in the check phase
// (setImmediate), after the I/O callbacks and microtasks of that turn have made their writes:
// Node then hands them to the OS together (writev). Nothing is held past the current turn.
import type { Writable } from 'node:stream';

export class WriteCoalescer {
  #corked: Writable | null = null;

  /**
   * @param target The socket to cork, looked up at each turn (a client may replace its socket on
   *   reconnect); `undefined` when there is none, and then nothing is corked.
   */
  constructor(private readonly target: () => Writable | undefined) {}

  /** Call before writing: the writes of this turn go out together when it ends. */
  hold(): void {
    if (this.#corked) return;
    const socket = this.target();
    if (!socket || socket.destroyed || !socket.writable) return;
    socket.cork();
    this.#corked = socket;
    setImmediate(() => {
      const corked = this.#corked;
      this.#corked = null;
      // The same socket that was corked, even if the client has moved on to another one.
      corked?.uncork();
    });
  }
}
