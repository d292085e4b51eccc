// Test support for this lib's own tests (excluded from the build): a bare `ws` client that does
// what a Socket Mode client does, with every frame kept for assertions.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { waitFor } from '@socketworks/testing';
import type { SlackSim } from './slack-sim';

export type Frame = Record<string, unknown> & { type?: string; envelope_id?: string };

export const APP_TOKEN = 'xapp-1-A0000001-1111-testtoken';
export const BOT_TOKEN = 'xoxb-1111-2222-testtoken';

export function fixture(name: string): Frame {
  return JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', name), 'utf8')) as Frame;
}

export async function api(sim: SlackSim, method: string, init: { token?: string; body?: unknown; form?: Record<string, string>; httpMethod?: string } = {}) {
  const headers: Record<string, string> = {};
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  let body: string | undefined;
  if (init.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(init.form).toString();
  } else if (init.body !== undefined) {
    headers['content-type'] = 'application/json; charset=utf-8';
    body = JSON.stringify(init.body);
  }
  const res = await fetch(`${sim.apiUrl}${method}`, { method: init.httpMethod ?? 'POST', headers, body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : null) as Record<string, unknown> | null };
}

export async function control(sim: SlackSim, method: string, path: string, body?: unknown) {
  const res = await fetch(`${sim.baseUrl}/_sim/${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as unknown };
}

export async function connectionUrl(sim: SlackSim, token = APP_TOKEN): Promise<string> {
  const res = await api(sim, 'apps.connections.open', { token });
  if (!res.body || res.body.ok !== true) throw new Error(`apps.connections.open failed: ${JSON.stringify(res.body)}`);
  return res.body.url as string;
}

/** A raw Socket Mode client: opens via apps.connections.open, keeps every text frame. */
export class TestSocket {
  readonly frames: Frame[] = [];
  readonly closed: Promise<{ code: number }>;
  private constructor(readonly ws: WebSocket) {
    ws.on('error', () => undefined);
    ws.on('message', (data) => {
      const text = data.toString();
      try {
        this.frames.push(JSON.parse(text) as Frame);
      } catch {
        // Malformed-frame tests send text that is not JSON on purpose.
        this.frames.push({ raw: text });
      }
    });
    this.closed = new Promise((resolve) => ws.once('close', (code) => resolve({ code })));
  }

  /** Connects and waits for the first frame (hello, or the disconnect that refuses it). */
  static async open(sim: SlackSim, url?: string): Promise<TestSocket> {
    const ws = new WebSocket(url ?? (await connectionUrl(sim)));
    const socket = new TestSocket(ws);
    await once(ws, 'open');
    await waitFor(() => socket.frames.length > 0, { timeoutMs: 5000, intervalMs: 5, message: 'first frame' });
    return socket;
  }

  envelopes(): Frame[] {
    return this.frames.filter((f) => typeof f.envelope_id === 'string');
  }

  async nextEnvelope(after = 0, timeoutMs = 5000): Promise<Frame> {
    return waitFor(() => this.envelopes()[after], { timeoutMs, intervalMs: 5, message: `envelope #${after}` });
  }

  ack(envelopeId: string, payload?: Record<string, unknown>): void {
    this.ws.send(JSON.stringify(payload ? { envelope_id: envelopeId, payload } : { envelope_id: envelopeId }));
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    this.ws.close(1000);
    const timer = setTimeout(() => this.ws.terminate(), 2000);
    await this.closed;
    clearTimeout(timer);
  }
}
