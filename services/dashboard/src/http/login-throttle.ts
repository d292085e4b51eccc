// Brute-force protection for the dashboard's password and token: per client address, after
// `maxFailures` failed logins each within `windowMs` of the previous one, every further attempt
// from that address is refused (429, Retry-After) for a back-off that starts at `initialBackoffMs`
// and doubles with each failure after it, up to `maxBackoffMs`. While an address is refused its
// credentials are not even looked at, so the right password is refused too: otherwise the attacker
// would learn the password from the one answer that is not a 429. A successful login forgets the
// address. Memory is bounded: at most `maxAddresses` are tracked, the least recently failed is
// forgotten first.
//
// The address is the socket's: the dashboard trusts no proxy header (`trust proxy` is off), so
// behind an ingress every client shares the ingress's address and one attacker slows everyone
// down; the cap keeps that to minutes (README.md, Security).

export interface LoginThrottleOptions {
  /** Failed logins from one address before it is refused. @defaultValue 10 */
  maxFailures?: number;
  /** A failure more than this after the previous one (or after the end of the back-off) starts the count again. @defaultValue 600000 (10 min) */
  windowMs?: number;
  /** Back-off after the `maxFailures`-th failure; each further failure doubles it. @defaultValue 1000 */
  initialBackoffMs?: number;
  /** Longest back-off. @defaultValue 300000 (5 min) */
  maxBackoffMs?: number;
  /** Most addresses tracked at once; past it the least recently failed one is forgotten. @defaultValue 10000 */
  maxAddresses?: number;
  /** The clock (tests pass a fake one). @defaultValue Date.now */
  now?: () => number;
}

interface Entry {
  /** Consecutive failures. */
  failures: number;
  lastFailureAt: number;
  /** Attempts are refused before this time; 0 when not refused. */
  refusedUntil: number;
}

/** What a failure did to its address. */
export interface LoginFailure {
  /** Consecutive failures from the address, this one included. */
  failures: number;
  /** How long the address is now refused; 0 while under `maxFailures`. */
  backoffMs: number;
}

export class LoginThrottle {
  readonly maxFailures: number;
  readonly windowMs: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly maxAddresses: number;
  private readonly now: () => number;
  /** Map order is the order of the latest failure: the first entry is the least recently failed. */
  private readonly entries = new Map<string, Entry>();

  constructor(options: LoginThrottleOptions = {}) {
    this.maxFailures = positiveInt('maxFailures', options.maxFailures ?? 10);
    this.windowMs = positiveInt('windowMs', options.windowMs ?? 600_000);
    this.initialBackoffMs = positiveInt('initialBackoffMs', options.initialBackoffMs ?? 1000);
    this.maxBackoffMs = positiveInt('maxBackoffMs', options.maxBackoffMs ?? 300_000);
    this.maxAddresses = positiveInt('maxAddresses', options.maxAddresses ?? 10_000);
    this.now = options.now ?? Date.now;
  }

  /** Addresses tracked now. */
  get size(): number {
    return this.entries.size;
  }

  /** How much longer attempts from `address` are refused, in ms; 0 when they may proceed. */
  refusedForMs(address: string): number {
    const entry = this.entries.get(address);
    if (!entry) return 0;
    const now = this.now();
    if (this.expired(entry, now)) {
      this.entries.delete(address);
      return 0;
    }
    return Math.max(0, entry.refusedUntil - now);
  }

  /** Records a failed login from `address`. */
  fail(address: string): LoginFailure {
    const now = this.now();
    let entry = this.entries.get(address);
    if (entry && this.expired(entry, now)) entry = undefined;
    entry ??= { failures: 0, lastFailureAt: now, refusedUntil: 0 };
    entry.failures += 1;
    entry.lastFailureAt = now;
    const backoffMs =
      entry.failures < this.maxFailures ? 0 : Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** Math.min(entry.failures - this.maxFailures, 40));
    entry.refusedUntil = backoffMs > 0 ? now + backoffMs : 0;
    // Re-inserted so that the map stays ordered by latest failure.
    this.entries.delete(address);
    this.makeRoom(now);
    this.entries.set(address, entry);
    return { failures: entry.failures, backoffMs };
  }

  /** A successful login: the address starts afresh. */
  succeed(address: string): void {
    this.entries.delete(address);
  }

  private expired(entry: Entry, now: number): boolean {
    return now - Math.max(entry.lastFailureAt, entry.refusedUntil) > this.windowMs;
  }

  private makeRoom(now: number): void {
    // Expired entries go first (they are at the front, oldest failure first); then, if the table is
    // still full, the least recently failed address is forgotten.
    for (const [address, entry] of this.entries) {
      if (this.entries.size < this.maxAddresses && !this.expired(entry, now)) break;
      this.entries.delete(address);
    }
  }
}

function positiveInt(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`LoginThrottle: ${name} must be a positive integer`);
  return value;
}

/**
 * The key an address is tracked under: an IPv4-mapped IPv6 address (`::ffff:10.0.0.7`, what a
 * dual-stack listener reports) is its IPv4 address; an IPv6 address is its /64 (`2001:db8:0:1::/64`),
 * since one host or customer is commonly given a whole /64 and could otherwise rotate through
 * 2^64 addresses for fresh attempts (and flush the table); `undefined` (a socket already closed)
 * is `unknown`.
 */
export function clientKey(remoteAddress: string | undefined): string {
  if (!remoteAddress) return 'unknown';
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(remoteAddress);
  if (mapped) return mapped[1]!;
  if (!remoteAddress.includes(':')) return remoteAddress;
  return ipv6Prefix64(remoteAddress) ?? remoteAddress.toLowerCase();
}

/** The first 64 bits of an IPv6 address, as `a:b:c:d::/64`; undefined if it does not parse. */
function ipv6Prefix64(address: string): string | undefined {
  const bare = address.split('%')[0]!.toLowerCase(); // no zone (fe80::1%eth0)
  const halves = bare.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (part: string) => (part === '' ? [] : part.split(':'));
  // A trailing dotted IPv4 (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) fills two groups.
  const width = (groups: string[]) => groups.reduce((n, g) => n + (g.includes('.') ? 2 : 1), 0);
  const head = groupsOf(halves[0]!);
  const tail = halves.length === 2 ? groupsOf(halves[1]!) : [];
  const zeros = halves.length === 2 ? 8 - width(head) - width(tail) : 0;
  if (zeros < 0) return undefined;
  const prefix = [...head, ...Array<string>(zeros).fill('0'), ...tail].slice(0, 4);
  if (prefix.length < 4 || !prefix.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return undefined;
  return `${prefix.map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
}
