// bull-board over every Socketworks queue, mounted at /queues behind the dashboard's
// authentication. Three things are added around it:
// - every API answer is redacted (job data, failedReason, stack traces), so bull-board shows no
//   more than our own pages do;
// - routes that would forge or wipe Slack work are refused even when not read-only: adding a job
//   or editing its data makes a worker run a payload Slack never sent, and obliterate/empty drop
//   envelopes that were already acked (ARCHITECTURE.md: nothing acked is ever lost);
// - read-only mode is enforced by bull-board itself (`readOnlyMode`, answering 405) and, in
//   front of it, by the dashboard's guard (403) and this `before` hook (403).
import type { Router } from 'express';
import type { Queue } from 'bullmq';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { QUEUE_NAMES, type QueueName } from '@socketworks/protocol';
import { redactForDisplay } from '../redact';

export const BOARD_BASE_PATH = '/queues';

/** bull-board API routes refused in every mode (see the file comment). */
export const REFUSED_BOARD_ROUTES: ReadonlySet<string> = new Set([
  '/api/queues/:queueName/add',
  '/api/queues/:queueName/:jobId/update-data',
  '/api/queues/:queueName/obliterate',
  '/api/queues/:queueName/empty',
]);

const DESCRIPTIONS: Record<QueueName, string> = {
  events: 'Events API envelopes (job id ev-<event_id>)',
  interactive: 'Interactivity: block actions, shortcuts, view submissions (env-<envelope_id>)',
  commands: 'Slash commands (env-<envelope_id>)',
  sync: 'Sync lane: envelopes whose ack carries the answer (env-<envelope_id>)',
};

export interface BoardOptions {
  queues: Readonly<Record<QueueName, Queue>>;
  readOnly: boolean;
}

export function createBoardRouter(options: BoardOptions): Router {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(BOARD_BASE_PATH);
  createBullBoard({
    queues: QUEUE_NAMES.map(
      (name) =>
        new BullMQAdapter(options.queues[name], {
          readOnlyMode: options.readOnly,
          allowRetries: !options.readOnly,
          description: DESCRIPTIONS[name],
        }),
    ),
    serverAdapter,
    options: {
      uiConfig: {
        boardTitle: 'Socketworks',
        hideDocsLink: true,
        miscLinks: [
          { text: 'Find a job by Slack id', url: '/jobs' },
          { text: 'Queue overview', url: '/' },
        ],
      },
      handlerHooks: {
        before: ({ method, route }) => {
          if (REFUSED_BOARD_ROUTES.has(route)) {
            return { allow: false, status: 403, message: 'refused by Socketworks: this would forge or drop Slack work' };
          }
          if (options.readOnly && method !== 'get') {
            return { allow: false, status: 403, message: 'the dashboard is read-only (DASHBOARD_READ_ONLY=true)' };
          }
          return { allow: true };
        },
        after: (_context, result) => ({ ...result, body: redactForDisplay(result.body) as typeof result.body }),
      },
    },
  });
  return serverAdapter.getRouter() as Router;
}
