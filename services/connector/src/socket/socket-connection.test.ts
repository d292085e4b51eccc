// SocketConnection's state machine against a plain local WebSocket server playing Slack's part
// frame by frame (the simulator covers the full protocol in the *.int.test.ts files).
import { afterEach, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket as ServerSocket } from 'ws';
import { createMetricsRegistry, type Registry } from '@socketworks/runtime';
import { waitFor } from '@socketworks/testing';
import { SocketNotOpenError, SocketOpenError } from '../errors';
import { createConnectorMetrics, type ConnectorMetrics } from '../metrics';
import { captureLogs, metricValue, type LogCapture } from '../test-support/log-capture';
import { SocketConnection, type SocketCloseInfo, type SocketConnectionOptions, type SocketState } from './socket-connection';

const HELLO = JSON.stringify({ type: 'hello', num_connections: 1, debug_info: { host: 'applink-test' }, connection_info: { app_id: 'A1' } });
const envelope = (id: string) =>
  JSON.stringify({ envelope_id: id, type: 'events_api', accepts_response_payload: false, retry_attempt: 0, retry_reason: '', payload: { event_id: `Ev${id}`, event: { type: 'app_mention' } } });

let wss: WebSocketServer;
let url: string;
let peers: ServerSocket[];
let received: string[];
let registry: Registry;
let metrics: ConnectorMetrics;
let logs: LogCapture;
let sockets: SocketConnection[];

beforeEach(async () => {
  peers = [];
  received = [];
  sockets = [];
  registry = createMetricsRegistry('connector-test');
  metrics = createConnectorMetrics(registry);
  logs = captureLogs({ level: 'debug' });
  wss = new WebSocketServer({ host: '127.0.0.1', port: 0, autoPong: true });
  wss.on('connection', (peer) => {
    peers.push(peer);
    peer.on('message', (data) => received.push(data.toString()));
  });
  await once(wss, 'listening');
  url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/link`;
});

afterEach(async () => {
  for (const s of sockets) s.terminate('closed_by_us');
  for (const p of peers) p.terminate();
  await new Promise((resolve) => wss.close(resolve));
});

function connection(overrides: Partial<SocketConnectionOptions> = {}): SocketConnection {
  const socket = new SocketConnection({ url, slot: 0, logger: logs.logger, metrics, maxFrameBytes: 1024 * 1024, ...overrides });
  sockets.push(socket);
  return socket;
}

/** Opens the socket against the test server and says hello from the peer. */
async function openWithHello(socket: SocketConnection): Promise<void> {
  const opened = socket.open();
  await waitFor(() => peers.length === 1);
  peers[0]!.send(HELLO);
  await opened;
}

/**
 * The close-frame race of a handover (src/slots/ack-forwarder.ts): the peer stops reading, so our
 * close frame waits unread while the peer may still send. Resolves once the frame is out, with
 * close()'s promise (wrapped: awaiting it here would wait for the close itself).
 */
async function closeWhilePeerSends(socket: SocketConnection): Promise<{ closed: Promise<SocketCloseInfo> }> {
  peers[0]!.pause();
  const closed = socket.close(1000);
  await waitFor(() => !socket.canSend, { message: 'our close frame out' });
  return { closed };
}

function recordStates(socket: SocketConnection): SocketState[] {
  const states: SocketState[] = [socket.state];
  const note = () => {
    if (states[states.length - 1] !== socket.state) states.push(socket.state);
  };
  socket.on('hello', note);
  socket.on('disconnect', note);
  socket.on('close', note);
  return states;
}

test('connecting → open on hello → draining on disconnect → closed once when the peer closes', async () => {
  const socket = connection();
  const states = recordStates(socket);
  let closes = 0;
  socket.on('close', () => (closes += 1));
  const opened = socket.open();
  await waitFor(() => peers.length === 1);
  assert.equal(socket.state, 'connecting');
  peers[0]!.send(HELLO);
  const hello = await opened;
  assert.equal(hello.num_connections, 1);
  assert.equal(await metricValue(registry, 'socketworks_connector_sockets_open', { slot: '0' }), 1);
  const disconnect = once(socket, 'disconnect');
  peers[0]!.send(JSON.stringify({ type: 'disconnect', reason: 'warning', debug_info: { host: 'h' } }));
  const [frame] = await disconnect;
  assert.equal(frame.reason, 'warning');
  assert.equal(socket.state, 'draining');
  assert.equal(await metricValue(registry, 'socketworks_connector_sockets_open', { slot: '0' }), 1, 'a draining socket still counts');
  peers[0]!.close(1000);
  const info = await socket.whenClosed();
  assert.deepEqual(states, ['connecting', 'open', 'draining', 'closed']);
  assert.equal(info.reason, 'closed_by_peer');
  assert.equal(info.disconnectReason, 'warning');
  assert.equal(closes, 1);
  assert.equal(await metricValue(registry, 'socketworks_connector_sockets_open', { slot: '0' }), 0);
  assert.equal(await metricValue(registry, 'socketworks_connector_disconnects_total', { reason: 'warning' }), 1);
  assert.equal(await metricValue(registry, 'socketworks_connector_disconnects_total', { reason: 'closed_by_peer' }), 0, 'counted once, under the frame reason');
});

test('envelopes are emitted with a receipt time and acked on this socket; acks on a closed socket reject', async () => {
  const socket = connection();
  socket.on('envelope', (env) => void socket.ack(env.envelope_id));
  await openWithHello(socket);
  peers[0]!.send(envelope('e1'));
  await waitFor(() => received.length === 1);
  assert.deepEqual(JSON.parse(received[0]!), { envelope_id: 'e1' });
  await socket.ack('e2', { text: 'hi' });
  await waitFor(() => received.length === 2);
  assert.deepEqual(JSON.parse(received[1]!), { envelope_id: 'e2', payload: { text: 'hi' } });
  peers[0]!.terminate();
  await socket.whenClosed();
  await assert.rejects(socket.ack('e3'), (err: unknown) => err instanceof SocketNotOpenError && err.code === 'ERR_SOCKET_NOT_OPEN');
});

test('bad frames are logged and counted, the socket stays up, the next envelope gets through', async () => {
  const socket = connection({ maxFrameBytes: 64 * 1024 });
  const envelopes: string[] = [];
  socket.on('envelope', (env) => envelopes.push(env.envelope_id));
  await openWithHello(socket);
  peers[0]!.send('not json {');
  peers[0]!.send(JSON.stringify({ type: 'mystery', envelope_id: 'm1' }));
  peers[0]!.send(JSON.stringify({ type: 'events_api', payload: {} }));
  peers[0]!.send(JSON.stringify({ type: 'events_api', envelope_id: 'big', payload: { blob: 'x'.repeat(100 * 1024) } }));
  peers[0]!.send(Buffer.from([1, 2, 3]), { binary: true });
  peers[0]!.send(envelope('after'));
  await waitFor(() => envelopes.length === 1);
  assert.deepEqual(envelopes, ['after']);
  assert.equal(socket.state, 'open');
  const rejected = logs.find((l) => l.msg === 'frame rejected');
  assert.deepEqual(
    rejected.map((l) => l.code),
    ['ERR_FRAME_NOT_JSON', 'ERR_FRAME_UNKNOWN_TYPE', 'ERR_FRAME_MISSING_ENVELOPE_ID', 'ERR_FRAME_TOO_LARGE', 'ERR_FRAME_NOT_JSON'],
  );
  assert.equal(rejected[1]!.envelope_id, 'm1');
  assert.ok(rejected.every((l) => l.level === 'warn' && l.connection_id === socket.connectionId));
  assert.ok(!logs.raw.some((l) => l.includes('xxxxxxxx')), 'the frame body is never logged');
  assert.equal(await metricValue(registry, 'socketworks_connector_frames_rejected_total', { code: 'ERR_FRAME_NOT_JSON' }), 2);
  assert.equal(await metricValue(registry, 'socketworks_connector_frames_rejected_total', { code: 'ERR_FRAME_TOO_LARGE' }), 1);
});

test('no hello within the bound: open() rejects with ERR_SOCKET_HELLO_TIMEOUT and the socket is closed', async () => {
  const socket = connection({ helloTimeoutMs: 150 });
  await assert.rejects(socket.open(), (err: unknown) => err instanceof SocketOpenError && err.code === 'ERR_SOCKET_HELLO_TIMEOUT');
  const info = await socket.whenClosed();
  assert.equal(info.reason, 'hello_timeout');
  assert.equal(socket.state, 'closed');
});

test('a disconnect frame before hello: we close at once (1000), open() rejects with Slack\'s reason kept, not after the hello bound', async () => {
  const socket = connection({ helloTimeoutMs: 5000 });
  const opened = socket.open();
  await waitFor(() => peers.length === 1);
  const startedAt = Date.now();
  const peerClosed = once(peers[0]!, 'close');
  peers[0]!.send(JSON.stringify({ type: 'disconnect', reason: 'refresh_requested' }));
  // A hello after the disconnect changes nothing: the socket is on its way out.
  peers[0]!.send(HELLO);
  await assert.rejects(opened, (err: unknown) => err instanceof SocketOpenError && err.code === 'ERR_SOCKET_CLOSED_BEFORE_HELLO');
  const info = await socket.whenClosed();
  assert.ok(Date.now() - startedAt < 2000, 'closed without waiting for the hello bound');
  assert.equal(info.disconnectReason, 'refresh_requested');
  assert.equal(info.reason, 'closed_by_us');
  const [code] = (await peerClosed) as [number];
  assert.equal(code, 1000);
  assert.equal(await metricValue(registry, 'socketworks_connector_sockets_open'), 0);
});

test('a refused connection rejects open() with ERR_SOCKET_CLOSED_BEFORE_HELLO', async () => {
  const socket = connection({ url: 'ws://127.0.0.1:1/nothing-listens' });
  await assert.rejects(socket.open(), (err: unknown) => err instanceof SocketOpenError && err.code === 'ERR_SOCKET_CLOSED_BEFORE_HELLO');
  assert.equal((await socket.whenClosed()).reason, 'error');
});

test('half-open: a peer that stops answering pings is terminated within livenessTimeout + pingInterval', async () => {
  // This server does not answer pings and sends nothing after hello: a socket whose far end is gone.
  const silent = new WebSocketServer({ host: '127.0.0.1', port: 0, autoPong: false });
  await once(silent, 'listening');
  const silentPeers: ServerSocket[] = [];
  silent.on('connection', (peer) => {
    silentPeers.push(peer);
    peer.send(HELLO);
  });
  try {
    const socket = connection({ url: `ws://127.0.0.1:${(silent.address() as AddressInfo).port}/`, pingIntervalMs: 100, livenessTimeoutMs: 300 });
    await socket.open();
    const openedAt = Date.now();
    const info = await socket.whenClosed();
    const took = Date.now() - openedAt;
    assert.equal(info.reason, 'liveness_timeout');
    assert.ok(took >= 300 && took <= 300 + 100 + 150, `terminated after ${took} ms`);
    assert.equal(await metricValue(registry, 'socketworks_connector_disconnects_total', { reason: 'liveness_timeout' }), 1);
  } finally {
    for (const p of silentPeers) p.terminate();
    await new Promise((resolve) => silent.close(resolve));
  }
});

test('a live peer answering pings keeps the socket open past the liveness timeout', async () => {
  const socket = connection({ pingIntervalMs: 50, livenessTimeoutMs: 150 });
  await openWithHello(socket);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(socket.state, 'open');
});

test('close() lets tracked work write its ack first, then closes with 1000', async () => {
  const socket = connection();
  const opened = socket.open();
  await waitFor(() => peers.length === 1);
  const peerClosed = once(peers[0]!, 'close');
  peers[0]!.send(HELLO);
  await opened;
  void socket.track(new Promise<void>((resolve) => setTimeout(resolve, 100)).then(() => socket.ack('late')));
  await socket.close(2000);
  const [code] = await peerClosed;
  assert.equal(code, 1000);
  assert.deepEqual(received.map((r) => JSON.parse(r)), [{ envelope_id: 'late' }]);
  assert.equal(await metricValue(registry, 'socketworks_connector_disconnects_total', { reason: 'closed_by_us' }), 1, 'our own close is counted as closed_by_us');
});

// Slack writes an envelope before it has read our close frame; it arrives when nothing may be sent
// on this socket any more.
test('an envelope arriving after our close frame: late_envelope (to ack elsewhere), never an ack on this socket', async () => {
  const socket = connection();
  const late: string[] = [];
  const normal: string[] = [];
  socket.on('late_envelope', (frame) => late.push(frame.envelope_id));
  // Recorded and asserted below: a throw inside a listener is caught by the socket (emitSafely).
  socket.on('envelope', (frame) => normal.push(frame.envelope_id));
  await openWithHello(socket);
  const { closed } = await closeWhilePeerSends(socket);
  peers[0]!.send(envelope('after-close'));
  await waitFor(() => late.length === 1, { message: 'the late envelope' });
  assert.deepEqual(late, ['after-close']);
  assert.deepEqual(normal, [], 'a late envelope must not be emitted as a normal one');
  await assert.rejects(socket.ack('after-close'), SocketNotOpenError);
  peers[0]!.resume();
  const info = await closed;
  assert.equal(info.code, 1000);
  assert.deepEqual(received, [], 'nothing was written after the close frame');
  assert.equal(await metricValue(registry, 'socketworks_connector_ack_failures_total'), 0);
});

test('without a late_envelope listener such an envelope is counted and dropped (logged, not acked)', async () => {
  const socket = connection();
  await openWithHello(socket);
  const { closed } = await closeWhilePeerSends(socket);
  peers[0]!.send(envelope('dropped'));
  await waitFor(async () => (await metricValue(registry, 'socketworks_connector_ack_failures_total', { type: 'events_api' })) === 1, { message: 'the count' });
  assert.ok(logs.find((l) => l.msg === 'envelope arrived while the socket was closing: not acked' && l.envelope_id === 'dropped').length === 1);
  peers[0]!.resume();
  await closed;
});

test('close() resolves only once the work of an envelope that arrived after our close frame has settled', async () => {
  const socket = connection();
  let finishLate: (() => void) | undefined;
  // As the slot does: the late envelope is enqueued, its ack then goes through another replica.
  socket.on('late_envelope', () => void socket.track(new Promise<void>((resolve) => (finishLate = resolve))));
  await openWithHello(socket);
  const { closed } = await closeWhilePeerSends(socket);
  let resolved = false;
  void closed.then(() => (resolved = true));
  peers[0]!.send(envelope('late-work'));
  await waitFor(() => finishLate !== undefined, { message: 'the late envelope' });
  peers[0]!.resume();
  await waitFor(() => socket.state === 'closed', { message: 'the close handshake done' });
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(resolved, false, "close() still waits for the late envelope's work");
  finishLate!();
  assert.equal((await closed).code, 1000);
});
