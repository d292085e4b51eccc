// Cross-socket acks: the fallback for envelopes that reach a socket after it sent its close frame.
//
// Why it exists: when a replica hands a slot over (SIGTERM, rebalance) its old socket closes with
// 1000. Slack (and the simulator) keep writing envelopes to it until they have read our close
// frame; those arrive when RFC 6455 no longer lets us send anything on that socket, so they cannot
// be acked there. Events would come back as redeliveries; interactive payloads would be lost. The
// replica enqueues them as usual (the invariant holds: the job is in Redis first) and asks a
// replica that holds an open socket to write the ack there.
//
// It relies on Slack honouring an ack written on another connection of the same app — Python's SDK
// does this, but PROTOCOL.md §4.1 marks it UNCONFIRMED. The simulator counts such acks
// (`AckRecord.crossSocket`). Every use is counted (`forwarded_acks_total{role}`).
import type { Logger } from 'pino';
import { describeError } from '@socketworks/runtime';
import { AckForwardError } from '../errors';
import type { ConnectorMetrics } from '../metrics';
import type { AckRequest, SlotBus } from './slot-bus';

export interface AckForwarderOptions {
  bus: SlotBus;
  replicaId: string;
  /** The replica to ask: the one now holding `slot`, else any live one holding a slot. */
  target: (slot: number) => string | undefined;
  /** Writes an ack on one of this replica's open sockets whose lease is valid; false when there is none. */
  writeLocal: (envelopeId: string, payload?: Record<string, unknown>) => Promise<boolean>;
  logger: Logger;
  metrics: ConnectorMetrics;
  /** How long to wait for the other replica's answer. @defaultValue 1000 */
  timeoutMs?: number;
}

interface Pending {
  resolve: () => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export class AckForwarder {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly options: AckForwarderOptions) {
    options.bus.on('ack_request', (request) => void this.answer(request));
    options.bus.on('ack_result', (result) => {
      const waiting = this.pending.get(result.envelope_id);
      if (!waiting) return;
      this.pending.delete(result.envelope_id);
      clearTimeout(waiting.timer);
      if (result.ok) waiting.resolve();
      else waiting.reject(new AckForwardError(`the other replica could not write the ack (${result.error ?? 'unknown'})`));
    });
  }

  /** Resolves once another replica wrote the ack on one of its sockets; rejects with {@link AckForwardError}. */
  async forward(slot: number, envelopeId: string, payload?: Record<string, unknown>): Promise<void> {
    const { metrics } = this.options;
    const target = this.options.target(slot);
    if (target === undefined) {
      metrics.forwardedAcks.inc({ role: 'failed' });
      throw new AckForwardError('no other replica holds a socket to write the ack on');
    }
    const answered = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(envelopeId);
        reject(new AckForwardError(`replica ${target} did not answer within ${this.options.timeoutMs ?? 1000} ms`));
      }, this.options.timeoutMs ?? 1000);
      this.pending.set(envelopeId, { resolve, reject, timer });
    });
    metrics.forwardedAcks.inc({ role: 'requested' });
    try {
      const request: AckRequest = { envelope_id: envelopeId, from: this.options.replicaId };
      if (payload !== undefined) request.payload = payload;
      const heard = await this.options.bus.requestAck(target, request);
      if (heard === 0) throw new AckForwardError(`replica ${target} is not listening`);
      await answered;
    } catch (err) {
      const waiting = this.pending.get(envelopeId);
      if (waiting) {
        clearTimeout(waiting.timer);
        this.pending.delete(envelopeId);
      }
      // Keeps the rejection of `answered` from going unhandled when the publish itself failed.
      answered.catch(() => undefined);
      metrics.forwardedAcks.inc({ role: 'failed' });
      throw err instanceof AckForwardError ? err : new AckForwardError('could not ask another replica to ack', { cause: err });
    }
  }

  /** Rejects every wait still open (the process is stopping). */
  close(): void {
    for (const [id, waiting] of this.pending) {
      clearTimeout(waiting.timer);
      waiting.reject(new AckForwardError('stopping'));
      this.pending.delete(id);
    }
  }

  private async answer(request: AckRequest): Promise<void> {
    let ok = false;
    try {
      ok = await this.options.writeLocal(request.envelope_id, request.payload);
    } catch (err) {
      this.options.logger.warn({ envelope_id: request.envelope_id, err: describeError(err) }, 'forwarded ack could not be written');
    }
    if (ok) {
      this.options.metrics.forwardedAcks.inc({ role: 'written' });
      this.options.logger.info({ envelope_id: request.envelope_id, for_replica: request.from }, 'ack written for another replica (cross-socket)');
    }
    try {
      await this.options.bus.answerAck(request.from, ok ? { envelope_id: request.envelope_id, ok } : { envelope_id: request.envelope_id, ok, error: 'no_socket' });
    } catch (err) {
      // The requester times out and counts a failure; nothing else to do from here.
      this.options.logger.warn({ envelope_id: request.envelope_id, err: describeError(err) }, 'could not answer a forwarded ack request');
    }
  }
}
