// Every metric the connector exports, created once per registry and passed to the parts that
// update them. Names are part of the operator contract (README.md); labels are low-cardinality by
// construction (envelope types, frame error codes, disconnect reasons, Slack error strings).
import { Counter, Gauge, Histogram, type Registry } from '@socketworks/runtime';

export interface ConnectorMetrics {
  envelopes: Counter<'type'>;
  acks: Counter<'type'>;
  ackFailures: Counter<'type'>;
  ackLatency: Histogram;
  enqueueFailures: Counter<'type'>;
  framesRejected: Counter<'code'>;
  redeliveries: Counter;
  duplicates: Counter;
  inFlight: Gauge;
  socketsOpen: Gauge<'slot'>;
  disconnects: Counter<'reason'>;
  helloNumConnections: Gauge;
  connectionsOpenErrors: Counter<'error'>;
  /** Sync lane: how each wait for a handler's ack answer ended (see `SyncOutcome`). */
  syncAnswers: Counter<'outcome'>;
  /** Sync lane: from the job being in Redis to the answer (or the budget's end), by outcome. */
  syncWait: Histogram<'outcome'>;
  /** Sync lane: `ack()` calls that arrived after the budget (the envelope had been acked bare). */
  syncLateAcks: Counter;
  /** Sync lane: messages on the reply channel that failed validation. */
  syncRepliesRejected: Counter;
}

/** Receipt → ack written: 0.25 ms to 2.5 s (Slack's deadline is 3 s). */
export const ACK_LATENCY_BUCKETS_SECONDS = [0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

export function createConnectorMetrics(registry: Registry): ConnectorMetrics {
  const registers = [registry];
  return {
    envelopes: new Counter({
      name: 'socketworks_connector_envelopes_total',
      help: 'Envelopes received over Socket Mode, by envelope type.',
      labelNames: ['type'],
      registers,
    }),
    acks: new Counter({
      name: 'socketworks_connector_acks_total',
      help: 'Acks written (each after its job was in Redis), by envelope type.',
      labelNames: ['type'],
      registers,
    }),
    ackFailures: new Counter({
      name: 'socketworks_connector_ack_failures_total',
      help: 'Envelopes left unacked because the delivering socket was closing or closed (the job may already be in Redis), by envelope type.',
      labelNames: ['type'],
      registers,
    }),
    ackLatency: new Histogram({
      name: 'socketworks_connector_ack_latency_seconds',
      help: 'From frame receipt to ack written on the socket.',
      buckets: ACK_LATENCY_BUCKETS_SECONDS,
      registers,
    }),
    enqueueFailures: new Counter({
      name: 'socketworks_connector_enqueue_failures_total',
      help: 'Envelopes left unacked because the job could not be written to Redis, by envelope type.',
      labelNames: ['type'],
      registers,
    }),
    framesRejected: new Counter({
      name: 'socketworks_connector_frames_rejected_total',
      help: 'Inbound frames rejected by validation, by error code. The socket stays up.',
      labelNames: ['code'],
      registers,
    }),
    redeliveries: new Counter({
      name: 'socketworks_connector_redeliveries_total',
      help: 'Envelopes received with retry_attempt > 0 (Slack redelivered them).',
      registers,
    }),
    duplicates: new Counter({
      name: 'socketworks_connector_duplicates_total',
      help: 'Envelopes whose job id already existed (a redelivery or a second copy of an event).',
      registers,
    }),
    inFlight: new Gauge({
      name: 'socketworks_connector_inflight_enqueues',
      help: 'Envelopes received and not yet acked or given up on.',
      registers,
    }),
    socketsOpen: new Gauge({
      name: 'socketworks_connector_sockets_open',
      help: 'Sockets that have received hello and are not closed (a draining socket counts), by slot.',
      labelNames: ['slot'],
      registers,
    }),
    disconnects: new Counter({
      name: 'socketworks_connector_disconnects_total',
      help: 'Socket ends, by reason: the disconnect frame reason, or closed, liveness_timeout, hello_timeout.',
      labelNames: ['reason'],
      registers,
    }),
    helloNumConnections: new Gauge({
      name: 'socketworks_connector_hello_num_connections',
      help: 'num_connections from the latest hello: the sockets Slack counts for this app.',
      registers,
    }),
    connectionsOpenErrors: new Counter({
      name: 'socketworks_connector_connections_open_errors_total',
      help: 'Failed apps.connections.open calls, by Slack error (or http_<status>, network, timeout, bad_response).',
      labelNames: ['error'],
      registers,
    }),
    syncAnswers: new Counter({
      name: 'socketworks_connector_sync_answers_total',
      help: 'Sync-lane envelopes by how the wait for the handler ack ended: in_time (answer in the ack), none (handler finished without ack), late (budget ended first, acked bare), unavailable (reply channel down, acked bare).',
      labelNames: ['outcome'],
      registers,
    }),
    syncWait: new Histogram({
      name: 'socketworks_connector_sync_wait_seconds',
      help: 'Sync lane: from the job being in Redis to the handler ack answer (or the end of the budget), by outcome.',
      labelNames: ['outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 2.5],
      registers,
    }),
    syncLateAcks: new Counter({
      name: 'socketworks_connector_sync_late_acks_total',
      help: 'Sync lane: handler ack calls heard after the budget ended (the envelope had been acked bare; the answer was not sent).',
      registers,
    }),
    syncRepliesRejected: new Counter({
      name: 'socketworks_connector_sync_replies_rejected_total',
      help: 'Sync lane: messages on the reply channel that failed validation (dropped).',
      registers,
    }),
  };
}
