// `npm start`: the simulator, a connector and a worker as real processes on this machine, a few
// envelopes of each kind, and what the example app answered. Runs until Ctrl-C (so you can look
// around: metrics, more envelopes); `--once` exits after the summary.
import { Redis } from 'ioredis';
import { appMentionPayload, blockActionsPayload, slashCommandPayload } from '@socketworks/slack-sim';
import {
  deleteKeys,
  opsPort,
  SimControlClient,
  startConnectorProcess,
  startDashboardProcess,
  startSimProcess,
  startWorkerProcess,
  waitFor,
  type ServiceProcess,
} from '@socketworks/testing';
import { describeError } from '@socketworks/runtime';

const once = process.argv.includes('--once');
const verbose = process.env.DEMO_VERBOSE === '1';
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const queuePrefix = 'socketworks-demo';

interface ApiCall { method: string; args: Record<string, unknown>; ok: boolean; error?: string }
interface ResponseUrlCall { url: string; body: Record<string, unknown>; status: number; originEnvelopeId: string }
interface AckRecord { envelopeId: string; latencyMs: number | null; known: boolean }
interface InjectResult { envelopeId: string; eventId?: string }

const say = (line = '') => process.stdout.write(`${line}\n`);

async function checkRedis(): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch {
    say(`Redis is not answering at ${redacted(redisUrl)}.`);
    say('Start one, then run `npm start` again:');
    say('  redis-server --daemonize yes --save "" --appendonly no     (Debian: apt-get install redis-server)');
    say('  or: docker run -d -p 6379:6379 redis:7-alpine');
    say('Or point REDIS_URL at another Redis.');
    process.exit(1);
  } finally {
    redis.disconnect();
  }
}

function redacted(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//[credentials]@');
}

async function main(): Promise<void> {
  await checkRedis();
  await deleteKeys(redisUrl, `{${queuePrefix}}*`);
  const procs: ServiceProcess[] = [];
  const stopAll = async () => {
    await Promise.all(procs.reverse().map((p) => p.stop('SIGTERM')));
  };
  process.on('SIGINT', () => {
    say('\nstopping…');
    stopAll().then(() => process.exit(0), () => process.exit(1));
  });
  try {
    say('Socketworks demo: Slack simulator + connector + worker, all on 127.0.0.1');
    const sim = await startSimProcess({ echo: verbose });
    procs.push(sim);
    say(`  slack-sim   listening on ${sim.apiUrl}`);
    const common = { redisUrl, queuePrefix, slackApiUrl: sim.apiUrl, logLevel: verbose ? 'debug' : 'info', echo: verbose };
    let worker = await startWorkerProcess(common);
    procs.push(worker);
    say(`  worker      ready (metrics on http://127.0.0.1:${await opsPort(worker)}/metrics)`);
    // Open (no login) is allowed only because it listens on 127.0.0.1.
    const dashboard = await startDashboardProcess({ ...common, env: { DASHBOARD_OPEN: 'true' } });
    procs.push(dashboard);
    say(`  dashboard   ${dashboard.url}  (no login: it listens on 127.0.0.1 only)`);
    const connector = await startConnectorProcess({ ...common, sockets: 2 });
    procs.push(connector);
    say(`  connector   2 sockets open (metrics on http://127.0.0.1:${await opsPort(connector)}/metrics)`);
    say();

    const control = new SimControlClient(sim.controlUrl);
    const injected = await control.send<InjectResult[]>('POST', '/inject', [
      { type: 'events_api', payload: appMentionPayload({ text: '<@U0000002> hello from the demo' }) },
      { type: 'slash_commands', payload: slashCommandPayload({ command: '/echo', text: 'ping from /echo' }) },
      { type: 'interactive', payload: blockActionsPayload({ actions: [{ action_id: 'approve', value: 'deploy-42' }] }) },
    ]);
    say('Injected an app_mention, an /echo slash command and a button click (block_actions).');

    const answers = await waitFor(
      async () => {
        const [calls, responses] = await Promise.all([
          control.get<ApiCall[]>('/api-calls?method=chat.postMessage'),
          control.get<ResponseUrlCall[]>('/response-url-calls'),
        ]);
        return calls.length >= 1 && responses.length >= 2 ? { calls, responses } : undefined;
      },
      { timeoutMs: 15000, message: 'the example app to answer' },
    );
    const acks = await control.get<AckRecord[]>('/acks');
    const latency = (id: string | undefined) => {
      const ack = acks.find((a) => a.envelopeId === id);
      return ack?.latencyMs != null ? `${ack.latencyMs.toFixed(1)} ms` : 'n/a';
    };
    say();
    say('What the app answered:');
    for (const call of answers.calls) {
      say(`  chat.postMessage  channel=${String(call.args.channel)} thread_ts=${String(call.args.thread_ts)} text=${JSON.stringify(call.args.text)}`);
    }
    for (const response of answers.responses) {
      say(`  response_url      ${new URL(response.url).pathname.split('/').slice(0, 3).join('/')}/…  text=${JSON.stringify(response.body.text)}`);
    }
    say();
    say('Ack latency seen by the simulator (envelope sent → ack received):');
    const kinds = ['app_mention', '/echo', 'block_actions'];
    injected.forEach((result, i) => say(`  ${kinds[i]!.padEnd(14)} ${latency(result.envelopeId)}`));
    say("  (the first envelopes after a cold start; /echo's ack waits for the listener's ack() in the worker: the sync lane)");
    say();
    if (once) {
      await stopAll();
      return;
    }
    // A failed job for the dashboard: the example app fails on purpose on a mention saying `fail`.
    const failing = await control.send<InjectResult[]>('POST', '/inject', [{ type: 'events_api', payload: appMentionPayload({ text: '<@U0000002> fail' }) }]);
    say('A mention saying "fail" makes the example app fail on purpose. See the failed job:');
    say(`  ${new URL(`jobs?kind=event_id&q=${failing[0]?.eventId ?? ''}`, dashboard.url).href}`);
    say('Press Enter to fix the cause (restart the worker with EXAMPLE_APP_FAIL=off), then click "Retry" there.');
    say();
    process.stdin.once('data', () => {
      void (async () => {
        await worker.stop('SIGTERM');
        procs.splice(procs.indexOf(worker), 1);
        worker = await startWorkerProcess({ ...common, env: { EXAMPLE_APP_FAIL: 'off' } });
        procs.push(worker);
        say('Worker restarted with EXAMPLE_APP_FAIL=off: retry the job in the dashboard and watch it complete.');
      })().catch((err: unknown) => say(`could not restart the worker: ${describeError(err).message}`));
    });
    say('Everything keeps running. Try more envelopes:');
    say(`  curl -s -X POST ${sim.controlUrl}/inject -H 'content-type: application/json' \\`);
    say(`    -d '{"type":"slash_commands","payload":{"command":"/echo","text":"hi","channel_id":"C0000001","user_id":"U0000001","team_id":"T0000001","api_app_id":"A0000001","response_url":"x","trigger_id":"x"}}'`);
    say(`  curl -s ${sim.controlUrl}/response-url-calls`);
    say('Ctrl-C stops every process.');
  } catch (err) {
    say(`demo failed: ${describeError(err).message}`);
    for (const p of procs) {
      if (p.exited()) say(`${p.name} exited early; its output:\n${p.output().slice(-4000)}`);
    }
    await stopAll();
    process.exit(1);
  }
}

void main();
