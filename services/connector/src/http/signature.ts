// Slack request signing (PROTOCOL.md §5.1): `v0=` + hex HMAC-SHA256, keyed with the signing secret,
// over `v0:<X-Slack-Request-Timestamp>:<raw body bytes>`, compared in constant time; requests whose
// timestamp is more than 5 minutes away from now, in either direction, are refused (replay window).
// Bolt JS only refuses old timestamps; we also refuse future ones, as python-slack-sdk does.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Seconds either side of now a request timestamp may be. */
export const SIGNATURE_WINDOW_SECONDS = 300;

export type SignatureRejection =
  /** No `X-Slack-Signature` or `X-Slack-Request-Timestamp`, or not in their format. */
  | 'missing_signature'
  /** The timestamp is outside the replay window (stale, or in the future). */
  | 'stale_timestamp'
  /** The HMAC does not match: tampered body, wrong secret, or not from Slack. */
  | 'bad_signature';

export type SignatureCheck = { ok: true } | { ok: false; reason: SignatureRejection };

export interface VerifyOptions {
  signingSecret: string;
  /** `X-Slack-Signature` as received. */
  signature: string | undefined;
  /** `X-Slack-Request-Timestamp` as received (unix seconds). */
  timestamp: string | undefined;
  rawBody: Buffer;
  /** Epoch milliseconds (injected in tests to accept the fixtures' 1700000000). */
  nowMs: number;
}

export function signSlackRequest(signingSecret: string, timestamp: string, rawBody: Buffer): string {
  const hmac = createHmac('sha256', signingSecret);
  hmac.update(`v0:${timestamp}:`);
  hmac.update(rawBody);
  return `v0=${hmac.digest('hex')}`;
}

export function verifySlackSignature(options: VerifyOptions): SignatureCheck {
  const { signature, timestamp } = options;
  if (!signature || !timestamp || !/^\d{1,12}$/.test(timestamp) || !/^v0=[0-9a-f]{64}$/.test(signature)) {
    return { ok: false, reason: 'missing_signature' };
  }
  if (Math.abs(options.nowMs / 1000 - Number(timestamp)) > SIGNATURE_WINDOW_SECONDS) {
    return { ok: false, reason: 'stale_timestamp' };
  }
  const expected = Buffer.from(signSlackRequest(options.signingSecret, timestamp, options.rawBody), 'utf8');
  const received = Buffer.from(signature, 'utf8');
  // Both are `v0=` + 64 hex digits here (checked above), so the lengths match.
  return expected.length === received.length && timingSafeEqual(expected, received) ? { ok: true } : { ok: false, reason: 'bad_signature' };
}
