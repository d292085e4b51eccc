// Clocks and id generators. Ids are unique per process (counters) and unlikely to collide across
// processes (a random tag per process), shaped like Slack's.
import { randomBytes } from 'node:crypto';

/** Epoch milliseconds with a fractional part, from the monotonic clock. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

const ALPHANUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const processTag = Array.from(randomBytes(3), (b) => ALPHANUM[b % 36]).join('');
let counter = 0;

/** `<prefix>` + 10 upper-case alphanumerics: 3 per process, 7 from a counter (`Ev0A1B2C3D4E`). */
export function slackId(prefix: string): string {
  counter += 1;
  return `${prefix}${processTag}${counter.toString(36).toUpperCase().padStart(7, '0')}`;
}

export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

let lastTsMicros = 0;

/** A Slack message timestamp (`1700000000.000100`), strictly increasing within the process. */
export function nextTs(): string {
  const micros = Math.max(Math.floor(Date.now() * 1000), lastTsMicros + 1);
  lastTsMicros = micros;
  return `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
}

let triggerCounter = 1000000000;

/** `<n>.<n>.<32 hex>`, the shape of a real trigger_id. */
export function triggerId(): string {
  triggerCounter += 1;
  return `${triggerCounter}.${1000000001}.${randomHex(16)}`;
}
