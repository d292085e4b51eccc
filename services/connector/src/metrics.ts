// Every metric the connector exports, created once per registry and passed to the parts that
// update them. Names are part of the operator contract (README.md); labels are low-cardinality by
// construction (envelope types, frame error codes, disconnect reasons, Slack error strings).
import { Counter, Gauge, Histogram, type Registry } from '@socketworks/runtime';

export interface ConnectorMetrics {
  envelopes: Counter<'type'>;
  acks: Counter<'type'>;
  ackFailures: Counter<'type'>;
  /** `awaited`: whether the ack waited for a handler's `ack()` answer (sync lane), else it followed the enqueue. */
  ackLatency: Histogram<'type' | 'awaited'>;
  /** Job sent to Redis → Redis confirmed it (the EXISTS + add round trip as the connector saw it), by queue. */
  enqueueDuration: Histogram<'queue'>;
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
  /** Slot leases won, by how (`acquire` a free slot, `transfer` in a handover). */
  leaseAcquisitions: Counter<'how'>;
  /** Slot leases lost, by reason (`taken`, `expired`, `handed_over`, `released`). */
  leaseLosses: Counter<'reason'>;
  /** Slots whose lease this replica holds. */
  slotsHeld: Gauge;
  /** Envelopes whose enqueue succeeded but whose ack was refused because the slot's lease was not valid. */
  fencedAcks: Counter;
  /** Extra sockets (a takeover, a refresh's replacement) put off because one more would go over Slack's cap, by kind. */
  extraSocketsDeferred: Counter<'kind'>;
  /** Cross-socket acks: `requested` (this replica asked another), `written` (answered for another), `failed` (no answer in time). */
  forwardedAcks: Counter<'role'>;
  /** Sockets the whole deployment reports (all live replicas), read at the latest hello. */
  deploymentSockets: Gauge;
  /** hello.num_connections differing from the deployment's sockets, by direction (`more` = Slack counts sockets we do not hold). */
  numConnectionsMismatches: Counter<'direction'>;
  /** HTTP delivery: requests refused, by reason (nothing was enqueued). */
  httpRejected: Counter<'reason'>;
  /** HTTP delivery: requests answered, by status code. */
  httpResponses: Counter<'status'>;
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
      help:
        'From frame receipt to ack written on the socket, by envelope type and awaited: "true" when the ack waited for the handler\'s ack() answer (sync lane: slash commands, block_suggestion, view_submission; up to SYNC_ACK_BUDGET_MS), "false" when it followed the enqueue.',
      labelNames: ['type', 'awaited'],
      buckets: ACK_LATENCY_BUCKETS_SECONDS,
      registers,
    }),
    enqueueDuration: new Histogram({
      name: 'socketworks_connector_enqueue_duration_seconds',
      help:
        'From sending a job to Redis to Redis confirming it (the EXISTS + add round trip, including any wait for the connector\'s own event loop to read the reply), by queue. Successful enqueues only: failures are in socketworks_connector_enqueue_failures_total.',
      labelNames: ['queue'],
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
      help: 'Socket ends, by reason: the disconnect frame reason Slack sent (other when it does not look like one), else how it ended: closed_by_peer, closed_by_us, liveness_timeout, hello_timeout, error.',
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
    leaseAcquisitions: new Counter({
      name: 'socketworks_connector_lease_acquisitions_total',
      help: 'Slot leases won by this replica, by how: acquire (a free slot) or transfer (a handover).',
      labelNames: ['how'],
      registers,
    }),
    leaseLosses: new Counter({
      name: 'socketworks_connector_lease_losses_total',
      help: 'Slot leases this replica stopped holding, by reason: taken (another replica holds it), expired (could not renew in time), handed_over, released.',
      labelNames: ['reason'],
      registers,
    }),
    slotsHeld: new Gauge({
      name: 'socketworks_connector_slots_held',
      help: 'Connection slots whose lease this replica holds.',
      registers,
    }),
    fencedAcks: new Counter({
      name: 'socketworks_connector_fenced_acks_total',
      help: 'Envelopes enqueued but not acked because the slot lease was no longer valid (Slack redelivers events).',
      registers,
    }),
    extraSocketsDeferred: new Counter({
      name: 'socketworks_connector_extra_sockets_deferred_total',
      help: "Tries to open an extra socket put off because one more would have taken the app over Slack's 10-socket cap (the sockets every replica reports, old ones still closing included, plus extra sockets reserved), by kind: takeover (a handover request, tried again later) or refresh (the replacement waits; the old socket serves meanwhile).",
      labelNames: ['kind'],
      registers,
    }),
    forwardedAcks: new Counter({
      name: 'socketworks_connector_forwarded_acks_total',
      help: 'Cross-socket acks for envelopes that arrived after their socket sent its close frame: requested (asked another replica), written (written for another replica), failed (no replica answered in time).',
      labelNames: ['role'],
      registers,
    }),
    deploymentSockets: new Gauge({
      name: 'socketworks_connector_deployment_sockets',
      help: 'Sockets all live replicas report holding (open or connecting), read at the latest hello; compare with hello_num_connections.',
      registers,
    }),
    numConnectionsMismatches: new Counter({
      name: 'socketworks_connector_num_connections_mismatches_total',
      help: 'hellos whose num_connections differed from the sockets the deployment reports: more (Slack counts sockets nobody holds: ghosts or another deployment) or fewer.',
      labelNames: ['direction'],
      registers,
    }),
    httpRejected: new Counter({
      name: 'socketworks_connector_http_rejected_total',
      help: 'HTTP requests refused without enqueueing anything, by reason.',
      labelNames: ['reason'],
      registers,
    }),
    httpResponses: new Counter({
      name: 'socketworks_connector_http_responses_total',
      help: 'HTTP requests answered on /slack/events (and elsewhere), by status code.',
      labelNames: ['status'],
      registers,
    }),
  };
}
