// SlotRunner against a local server playing Slack's part socket by socket: what the simulator
// cannot stage, such as a `disconnect` frame written in the same TCP write as the hello (ws then
// hands both frames over in one synchronous read, before the runner has promoted the socket).
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { WebSocketServer, type WebSocket as ServerSocket } from 'ws';
import { createMetricsRegistry } from '@socketworks/runtime';
import { waitFor } from '@socketworks/testing';
import type { Envelope } from '@socketworks/protocol';
import type { EnvelopeIngestor, EnvelopeSource } from '../ingest/envelope-ingestor';
import { createConnectorMetrics } from '../metrics';
import { captureLogs, type LogCapture } from '../test-support/log-capture';
import { DEFAULT_SLOT_TIMINGS, SlotRunner, type SlotRunnerOptions, type SlotTimings } from './slot-runner';

const HELLO = JSON.stringify({ type: 'hello', num_connections: 1, debug_info: { host: 'applink-test', build_number: 1, approximate_connection_time: 18060 }, connection_info: { app_id: 'A1' } });
const disconnect = (reason: string) => JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'applink-test' } });

interface PeerSocket {
  ws: ServerSocket;
  connectedAt: number;
  closedAt?: number;
}

/** Fake Slack: `apps.connections.open` hands out URLs; `onSocket(peer, n)` plays socket n (0-based). */
class FakeSlack {
  opens = 0;
  readonly peers: PeerSocket[] = [];
  private readonly server: Server;
  private readonly wss = new WebSocketServer({ noServer: true });

  constructor(onSocket: (peer: ServerSocket, n: number) => void) {
    this.server = createServer((_req, res) => {
      this.opens += 1;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ ok: true, url: `ws://127.0.0.1:${this.port}/link` }));
    });
    this.server.on('upgrade', (req, tcp, head) =>
      this.wss.handleUpgrade(req, tcp, head, (ws) => {
        const peer: PeerSocket = { ws, connectedAt: performance.now() };
        this.peers.push(peer);
        ws.on('close', () => (peer.closedAt = performance.now()));
        onSocket(ws, this.peers.length - 1);
      }),
    );
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api/`;
  }

  listen(): Promise<void> {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  async close(): Promise<void> {
    for (const peer of this.peers) peer.ws.terminate();
    await new Promise((resolve) => this.wss.close(resolve));
    await new Promise((resolve) => this.server.close(resolve));
  }
}

const envelope = (id: string) =>
  JSON.stringify({ envelope_id: id, type: 'events_api', accepts_response_payload: false, retry_attempt: 0, retry_reason: '', payload: { event_id: `Ev${id}`, event: { type: 'app_mention' } } });

/** Writes the frames in one TCP write, so the client reads them in one chunk. */
function sendTogether(ws: ServerSocket, frames: string[]): void {
  const tcp = (ws as unknown as { _socket: Socket })._socket;
  tcp.cork();
  for (const frame of frames) ws.send(frame);
  process.nextTick(() => tcp.uncork());
}

let slack: FakeSlack | undefined;
let runner: SlotRunner | undefined;
let logs: LogCapture;

afterEach(async () => {
  await runner?.stop({ immediate: true });
  await slack?.close();
  runner = undefined;
  slack = undefined;
});

async function startRunner(
  onSocket: (peer: ServerSocket, n: number) => void,
  fetchStub?: typeof fetch,
  { start = true, ...options }: { start?: boolean } & Pick<SlotRunnerOptions, 'reserveRefresh' | 'releaseRefresh'> & { timings?: Partial<SlotTimings> } = {},
): Promise<{ slack: FakeSlack; runner: SlotRunner }> {
  slack = new FakeSlack(onSocket);
  await slack.listen();
  logs = captureLogs({ level: 'debug' });
  // Acks every envelope at once on the socket that delivered it (what the real ingestor does once the job is in Redis).
  const ingest = (envelope: Envelope, source: EnvelopeSource) => source.ack(envelope.envelope_id).then(() => 'acked' as const);
  const ingestor = Object.assign(new EventEmitter(), { saturated: false, ingest }) as unknown as EnvelopeIngestor;
  runner = new SlotRunner({
    slot: 0,
    apiUrl: slack.apiUrl,
    appToken: 'xapp-1-test',
    maxFrameBytes: 1024 * 1024,
    logger: logs.logger,
    metrics: createConnectorMetrics(createMetricsRegistry('slot-runner-test')),
    ingestor,
    timings: { ...DEFAULT_SLOT_TIMINGS, reconnectBaseMs: 100, retireTimeoutMs: 2000, ...options.timings },
    heldSockets: () => ({ open: 0, connecting: 0 }),
    ...(fetchStub ? { fetch: fetchStub } : {}),
    ...(options.reserveRefresh ? { reserveRefresh: options.reserveRefresh } : {}),
    ...(options.releaseRefresh ? { releaseRefresh: options.releaseRefresh } : {}),
  });
  if (start) runner.start();
  return { slack, runner };
}

/** Observes for `ms` that a count does not move (the absence of a reconnect loop needs a window). */
async function staysAt(read: () => number, expected: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    assert.equal(read(), expected, 'apps.connections.open was called again');
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('hello and disconnect(too_many_websockets) in one read: the socket closes and the slot backs off ≥ 60 s, no reconnect', { timeout: 15000 }, async () => {
  const { slack, runner } = await startRunner((ws) => {
    sendTogether(ws, [HELLO, disconnect('too_many_websockets')]);
    // Slack closes the refused socket shortly after.
    setTimeout(() => ws.close(1000), 50);
  });
  const told = await waitFor(() => logs.find((l) => l.reason === 'too_many_websockets' && typeof l.retry_in_ms === 'number')[0], { message: 'the back-off' });
  assert.ok((told.retry_in_ms as number) >= 60000, `backs off ${String(told.retry_in_ms)} ms`);
  await waitFor(() => slack.peers[0]?.closedAt !== undefined, { message: 'the refused socket closed' });
  await staysAt(() => slack.opens, 1, 1500);
  assert.equal(runner.connected, false, 'the refused socket never served the slot');
  assert.equal(runner.state, 'running');
});

test('hello and disconnect(link_disabled) in one read: the slot stops for good', { timeout: 15000 }, async () => {
  const { slack, runner } = await startRunner((ws) => {
    sendTogether(ws, [HELLO, disconnect('link_disabled')]);
    setTimeout(() => ws.close(1000), 50);
  });
  await waitFor(() => runner.state === 'link_disabled', { message: 'link_disabled' });
  await waitFor(() => slack.peers[0]?.closedAt !== undefined, { message: 'the socket closed' });
  await staysAt(() => slack.opens, 1, 1000);
});

test('hello and disconnect(refresh_requested) in one read: the replacement has its hello before the old socket closes', { timeout: 15000 }, async () => {
  const { slack, runner } = await startRunner((ws, n) => {
    if (n === 0) {
      sendTogether(ws, [HELLO, disconnect('refresh_requested')]);
      // Slack closes the refreshed socket after a grace period (long enough for a replacement).
      setTimeout(() => ws.close(1000), 1000);
    } else {
      ws.send(HELLO);
    }
  });
  await waitFor(() => slack.peers[0]?.closedAt !== undefined, { message: 'the refreshed socket closed' });
  await waitFor(() => runner.connected && slack.peers.length === 2, { message: 'the replacement serving' });
  const [old, replacement] = slack.peers as [PeerSocket, PeerSocket];
  assert.ok(replacement.connectedAt < old.closedAt!, 'the replacement connected before the refreshed socket closed (make-before-break)');
  assert.equal(slack.opens, 2);
  assert.equal(replacement.closedAt, undefined);
});

test('stop({ immediate }) while apps.connections.open is answering: no socket is opened for the stopped slot', { timeout: 15000 }, async () => {
  let answer: ((response: Response) => void) | undefined;
  // Answers only when the test says so, whatever the abort signal says (the reply was on its way).
  const slowOpen = (() => new Promise<Response>((resolve) => (answer = resolve))) as unknown as typeof fetch;
  const { slack, runner } = await startRunner((ws) => ws.send(HELLO), slowOpen);
  await waitFor(() => answer !== undefined, { message: 'the apps.connections.open call' });
  const stopped = runner.stop({ immediate: true });
  answer!(Response.json({ ok: true, url: `ws://127.0.0.1:${slack.port}/link` }));
  await stopped;
  assert.equal(slack.peers.length, 0, 'no socket was opened');
  assert.equal(runner.state, 'idle');
});

test('halted before it started (another slot met invalid_auth first): the slot reports auth_failed and start() opens nothing', { timeout: 15000 }, async () => {
  const { slack, runner } = await startRunner((ws) => ws.send(HELLO), undefined, { start: false });
  assert.equal(runner.state, 'idle');
  runner.halt('auth_failed');
  assert.equal(runner.state, 'auth_failed');
  runner.start();
  await staysAt(() => slack.opens, 0, 500);
  assert.equal(runner.state, 'auth_failed');
  await runner.stop();
  assert.equal(runner.state, 'auth_failed', 'stopping keeps the reason');
});

test('after a warning, envelopes Slack still sends on the old socket are acked there while the replacement serves; nothing else opens', { timeout: 15000 }, async () => {
  const acks: Array<{ peer: number; envelopeId: string }> = [];
  const { slack, runner } = await startRunner((ws, n) => {
    ws.on('message', (data) => acks.push({ peer: n, envelopeId: (JSON.parse(String(data)) as { envelope_id: string }).envelope_id }));
    ws.send(HELLO);
  });
  await waitFor(() => runner.connected, { message: 'the first socket serving' });
  const [old] = slack.peers as [PeerSocket];
  old.ws.send(disconnect('warning'));
  await waitFor(() => slack.peers.length === 2 && runner.connected && runner.connectionId !== undefined && slack.opens === 2, { message: 'the replacement serving' });
  // Slack closes a warned socket ~10 s later and may deliver on it until then (PROTOCOL.md §3.2).
  old.ws.send(envelope('late-1'));
  slack.peers[1]!.ws.send(envelope('new-1'));
  old.ws.send(envelope('late-2'));
  await waitFor(() => acks.length === 3, { message: 'three acks' });
  assert.deepEqual(
    acks.map((a) => `${a.envelopeId}@${a.peer}`).sort(),
    ['late-1@0', 'late-2@0', 'new-1@1'],
    'each envelope acked on the socket that delivered it',
  );
  assert.equal(old.closedAt, undefined, 'the warned socket was not closed by us before Slack closes it');
  old.ws.close(1000);
  await waitFor(() => old.closedAt !== undefined, { message: 'the old socket closed' });
  await staysAt(() => slack.opens, 2, 500);
  assert.equal(runner.connected, true);
});

test("a refresh waiting for room under the socket cap opens its replacement as soon as the old socket closes, not at the next ask", { timeout: 15000 }, async () => {
  let asked = 0;
  let released = 0;
  const { slack, runner } = await startRunner((ws) => ws.send(HELLO), undefined, {
    // The deployment stays at the cap; the next ask would be a minute away.
    reserveRefresh: () => {
      asked += 1;
      return Promise.resolve(false);
    },
    releaseRefresh: () => (released += 1),
    timings: { refreshRoomRetryMs: 60000 },
  });
  await waitFor(() => runner.connected, { message: 'the first socket serving' });
  const [old] = slack.peers as [PeerSocket];
  old.ws.send(disconnect('warning'));
  await waitFor(() => asked === 1, { message: 'the replacement asked for room' });
  await staysAt(() => slack.opens, 1, 300);
  old.ws.close(1000);
  await waitFor(() => slack.peers.length === 2 && runner.connected && runner.connectionId !== undefined, { message: 'the replacement serving' });
  assert.ok(slack.peers[1]!.connectedAt > old.closedAt!, 'the replacement opened only after the old socket closed: never over the cap');
  assert.equal(asked, 1, 'no second ask: the close ended the wait');
  assert.equal(released, 0, 'nothing reserved, nothing released');
});
