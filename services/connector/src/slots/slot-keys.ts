// Every Redis key and channel of connection-slot ownership, in one place. They live under the queue
// prefix's hash tag (`{socketworks}:connector:…`), so on Redis Cluster every multi-key script here
// runs in one hash slot. One Slack app per QUEUE_PREFIX: the app id is only known after a hello,
// too late to name a lease by it (README "Connection ownership").
import { bullPrefix } from '@socketworks/protocol';

export interface SlotKeys {
  /** The lease of slot n (LeaseLock value `<replica>|<token>`; fencing counter at `<key>:fence`). */
  slot(n: number): string;
  /** A handover request for slot n: `{from, token, reason}` written by the owner that wants to let it go. */
  handover(n: number): string;
  /** Which replica took on a handover request (set once, and only with room under the cap), so two replicas never open a socket for it. */
  claim(n: number): string;
  /** A refresh of slot n under way: its replacement socket, counted against Slack's cap until its hello. */
  refresh(n: number): string;
  /** ZSET of live replicas, scored by expiry (Redis server time, ms). */
  readonly replicas: string;
  /** HASH replica → `open,connecting,expiresAt`: the sockets each replica holds, for hello.num_connections and the cap on takeovers. */
  readonly sockets: string;
  /** Notifications between replicas (`handover`, `transferred`, `released`, `closed`), to act before the next tick. */
  readonly control: string;
  /** Cross-socket ack requests addressed to one replica. */
  ackRequests(replicaId: string): string;
  /** Answers to the cross-socket ack requests a replica sent. */
  ackResults(replicaId: string): string;
}

export function slotKeys(queuePrefix: string): SlotKeys {
  const base = `${bullPrefix(queuePrefix)}:connector`;
  return {
    slot: (n) => `${base}:slot:${n}`,
    handover: (n) => `${base}:handover:${n}`,
    claim: (n) => `${base}:handover:${n}:claim`,
    refresh: (n) => `${base}:refresh:${n}`,
    replicas: `${base}:replicas`,
    sockets: `${base}:sockets`,
    control: `${base}:control`,
    ackRequests: (replicaId) => `${base}:acks:${replicaId}`,
    ackResults: (replicaId) => `${base}:ack-results:${replicaId}`,
  };
}
