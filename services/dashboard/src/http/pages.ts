// Server-rendered pages: plain HTML, no scripts, every dynamic value escaped. They use landmarks,
// labelled controls, table headers and a status region, so they read well in a screen reader and
// in a text browser. bull-board (at /queues) is the full queue UI; these pages add what it lacks:
// finding a job by a Slack id, and retry from there.
import { QUEUE_NAMES } from '@socketworks/protocol';
import type { JobQuery, JobQueryKind } from '../jobs/job-finder';
import type { JobView } from '../jobs/job-view';
import type { QueueStatsSnapshot } from '../metrics/queue-stats';

export const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const STYLE = `
body{font-family:system-ui,sans-serif;margin:0;color:#1b1b1b;background:#fff;line-height:1.45}
header,main,footer{padding:0.75rem 1.5rem}header{background:#1f2937;color:#fff}
header a{color:#fff}nav ul{list-style:none;display:flex;gap:1.25rem;margin:0;padding:0}
h1{font-size:1.4rem}h2{font-size:1.15rem;margin-top:1.5rem}
table{border-collapse:collapse}th,td{border:1px solid #9ca3af;padding:0.3rem 0.6rem;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}
pre{background:#f3f4f6;padding:0.75rem;overflow:auto;max-height:28rem;white-space:pre-wrap;word-break:break-word}
.job{border:1px solid #9ca3af;border-radius:4px;padding:0 1rem 1rem;margin:1rem 0}
.state{font-weight:bold;padding:0.05rem 0.4rem;border-radius:3px;border:1px solid currentColor}
.state-failed{color:#991b1b}.state-completed{color:#166534}.state-active,.state-waiting{color:#1e40af}
.notice{border-left:4px solid #166534;padding:0.5rem 1rem;background:#f0fdf4}
.problem{border-left:4px solid #991b1b;padding:0.5rem 1rem;background:#fef2f2}
dl{display:grid;grid-template-columns:max-content auto;gap:0.2rem 1rem}dt{font-weight:bold}dd{margin:0}
button{font:inherit;padding:0.3rem 0.9rem;cursor:pointer}
label{font-weight:bold;margin-right:0.4rem}input,select{font:inherit;padding:0.25rem}
a:focus,button:focus,input:focus,select:focus{outline:3px solid #f59e0b;outline-offset:2px}
`;

export interface PageContext {
  readOnly: boolean;
  /** Who is signed in, shown in the header. */
  actor: string;
}

function layout(title: string, ctx: PageContext | undefined, body: string): string {
  const nav = ctx
    ? `<nav aria-label="Main"><ul><li><a href="/">Queues</a></li><li><a href="/jobs">Find a job</a></li><li><a href="/queues">bull-board</a></li></ul></nav>
<p>${ctx.readOnly ? '<strong>Read-only:</strong> nothing can be retried from this dashboard. ' : ''}Signed in as ${escapeHtml(ctx.actor)}.</p>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)} · Socketworks</title><style>${STYLE}</style></head>
<body><header><p><strong>Socketworks</strong> operator dashboard</p>${nav}</header>
<main id="main"><h1>${escapeHtml(title)}</h1>
${body}
</main></body></html>
`;
}

const time = (ms: number | null) => (ms ? `<time datetime="${new Date(ms).toISOString()}">${new Date(ms).toISOString()}</time>` : '—');

/** Notices are fixed texts picked by a code in the redirect, never text from the URL. */
function renderNotice(notice: { code?: string; count?: number } | undefined): string {
  if (!notice?.code) return '';
  const text =
    notice.code === 'retried'
      ? 'The job was moved back to waiting: a worker will run it again.'
      : notice.code === 'retried-all'
        ? `${notice.count ?? 0} failed job(s) were moved back to waiting.`
        : undefined;
  return text ? `<p class="notice" role="status">${escapeHtml(text)}</p>` : '';
}

export function renderOverview(ctx: PageContext, snapshot: QueueStatsSnapshot | undefined, notice?: { code?: string; count?: number }): string {
  const rows = snapshot
    ? QUEUE_NAMES.map((name) => {
        const q = snapshot.queues[name];
        const retryAll =
          !ctx.readOnly && q.failed > 0
            ? `<form method="post" action="/retry-failed/${name}"><button type="submit">Retry all ${q.failed} failed in ${name}</button></form>`
            : '—';
        return `<tr><th scope="row"><a href="/queues/queue/${name}">${name}</a></th><td class="num">${q.waiting}</td><td class="num">${q.active}</td><td class="num">${q.delayed}</td><td class="num"><a href="/queues/queue/${name}?status=failed">${q.failed}</a></td><td class="num">${q.completed}</td><td class="num">${q.oldestWaitingAgeSeconds.toFixed(1)}</td><td>${retryAll}</td></tr>`;
      }).join('\n')
    : '';
  const table = snapshot
    ? `<table><caption>Jobs per queue at ${time(snapshot.at)}</caption>
<thead><tr><th scope="col">Queue</th><th scope="col">Waiting</th><th scope="col">Active</th><th scope="col">Delayed</th><th scope="col">Failed</th><th scope="col">Completed (kept)</th><th scope="col">Oldest waiting (s)</th><th scope="col">Action</th></tr></thead>
<tbody>${rows}</tbody></table>`
    : '<p class="problem" role="alert">Redis is not answering: the queue counts cannot be read right now.</p>';
  const redis =
    snapshot?.maxmemoryPolicy && snapshot.maxmemoryPolicy !== 'noeviction'
      ? `<p class="problem" role="alert">Redis maxmemory-policy is <code>${escapeHtml(snapshot.maxmemoryPolicy)}</code>: queued jobs can be evicted under memory pressure. Set it to <code>noeviction</code>.</p>`
      : '';
  return layout('Queues', ctx, `${renderNotice(notice)}${redis}${table}\n${searchForm({ kind: 'any', value: '' }, true)}`);
}

const KIND_LABELS: Record<JobQueryKind, string> = {
  any: 'Any id',
  event_id: 'Slack event_id',
  envelope_id: 'Socket Mode envelope_id',
  job_id: 'Job id',
};

function searchForm(query: JobQuery, heading: boolean): string {
  const options = (Object.keys(KIND_LABELS) as JobQueryKind[])
    .map((kind) => `<option value="${kind}"${kind === query.kind ? ' selected' : ''}>${KIND_LABELS[kind]}</option>`)
    .join('');
  return `<search><form method="get" action="/jobs" role="search" aria-label="Find a job">
${heading ? '<h2>Find a job</h2>' : ''}
<p><label for="kind">Search by</label><select id="kind" name="kind">${options}</select>
<label for="q">Id</label><input id="q" name="q" type="search" size="44" required maxlength="200" value="${escapeHtml(query.value)}" autocomplete="off" spellcheck="false">
<button type="submit">Find</button></p></form></search>`;
}

function renderJob(view: JobView, ctx: PageContext): string {
  const canRetry = view.state === 'failed' && !ctx.readOnly && !view.unreadable;
  const headingId = `job-${view.queue}-${view.id}`.replace(/[^A-Za-z0-9_-]/g, '_');
  const retry = canRetry
    ? `<form method="post" action="/jobs/${encodeURIComponent(view.queue)}/${encodeURIComponent(view.id)}/retry"><button type="submit">Retry this job</button></form>`
    : '';
  const error = view.failedReason
    ? `<h3>Error</h3><pre class="error" data-testid="failed-reason">${escapeHtml(view.failedReason)}</pre>`
    : '';
  const stack = view.stacktrace.length
    ? `<details><summary>Stack traces (${view.stacktrace.length}, latest first)</summary>${view.stacktrace.map((s) => `<pre>${escapeHtml(s)}</pre>`).join('')}</details>`
    : '';
  return `<article class="job" aria-labelledby="${headingId}" data-queue="${escapeHtml(view.queue)}" data-job-id="${escapeHtml(view.id)}" data-state="${escapeHtml(view.state)}">
<h2 id="${headingId}">${escapeHtml(view.queue)} / ${escapeHtml(view.id)}</h2>
<dl>
<dt>State</dt><dd><span class="state state-${escapeHtml(view.state)}" data-testid="job-state">${escapeHtml(view.state)}</span></dd>
<dt>Attempts</dt><dd>${view.attemptsMade} of ${view.attempts}</dd>
<dt>Type</dt><dd>${escapeHtml(view.type ?? '—')}</dd>
<dt>event_id</dt><dd>${escapeHtml(view.event_id ?? '—')}</dd>
<dt>envelope_id</dt><dd>${escapeHtml(view.envelope_id ?? '—')}</dd>
<dt>team_id</dt><dd>${escapeHtml(view.team_id ?? '—')}</dd>
<dt>Created</dt><dd>${time(view.timestamp)}</dd>
<dt>Last started</dt><dd>${time(view.processedOn)}</dd>
<dt>Finished</dt><dd>${time(view.finishedOn)}</dd>
</dl>
${view.unreadable ? `<p class="problem" role="alert" data-testid="unreadable">This job cannot be read: ${escapeHtml(view.error)}. What is stored there is not shown.</p>` : ''}${retry}${error}${stack}
<h3>Job data (secrets redacted)</h3>
<pre data-testid="job-data">${escapeHtml(JSON.stringify(view.data, null, 2))}</pre>
<p><a href="/queues/queue/${encodeURIComponent(view.queue)}/${encodeURIComponent(view.id)}">Open in bull-board</a></p>
</article>`;
}

export function renderSearch(ctx: PageContext, query: JobQuery | undefined, jobs: JobView[] | undefined, notice?: { code?: string }, problem?: string): string {
  const form = searchForm(query ?? { kind: 'any', value: '' }, false);
  let results = '';
  if (problem) {
    results = `<p class="problem" role="alert">${escapeHtml(problem)}</p>`;
  } else if (query && jobs) {
    results =
      jobs.length === 0
        ? `<p role="status">No job found for ${escapeHtml(KIND_LABELS[query.kind].toLowerCase())} <code>${escapeHtml(query.value)}</code>. Finished jobs are kept for the dedupe window (1 h by default), failed ones for 7 days.</p>`
        : `<p role="status">${jobs.length} job(s) found for <code>${escapeHtml(query.value)}</code>.</p>${jobs.map((j) => renderJob(j, ctx)).join('\n')}`;
  }
  return layout('Find a job', ctx, `${renderNotice(notice)}${form}\n<section aria-label="Results">${results}</section>`);
}

export function renderErrorPage(status: number, message: string): string {
  return layout(`Error ${status}`, undefined, `<p class="problem" role="alert">${escapeHtml(message)}</p><p><a href="/">Back to the queues</a></p>`);
}
