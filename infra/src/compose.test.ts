// Static checks of the deployment files: no Docker engine runs here, so every fact a container
// would rely on is checked against the repository instead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const root = join(__dirname, '../..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  profiles?: string[];
  deploy?: { replicas?: number };
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }> | string[];
  volumes?: string[];
}

const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, ComposeService> };

test('compose runs redis, connector and worker, and the simulator only in the demo profile', () => {
  const services = compose.services;
  for (const name of ['redis', 'connector', 'worker', 'slack-sim']) assert.ok(services[name], `service ${name}`);
  assert.deepEqual(services['slack-sim']!.profiles, ['demo']);
  for (const name of ['connector', 'worker']) {
    assert.equal(services[name]!.profiles, undefined, `${name} runs without a profile`);
    assert.deepEqual(services[name]!.depends_on, { redis: { condition: 'service_healthy' } });
    assert.ok(services[name]!.healthcheck, `${name} has a healthcheck`);
    assert.equal(services[name]!.deploy?.replicas, 2, `two ${name}s: one can die without a gap`);
  }
  assert.ok(services.dashboard, 'the dashboard runs too');
});

test('every service command runs a built entry point the build produces', () => {
  for (const [name, service] of Object.entries(compose.services)) {
    if (name === 'redis') continue;
    const entry = service.command?.[1];
    assert.equal(service.command?.[0], 'node');
    assert.match(entry ?? '', /^services\/[a-z-]+\/dist\/main\.js$/);
    const project = entry!.split('/').slice(0, 2).join('/');
    assert.ok(existsSync(join(root, project, 'src/main.ts')), `${name}: ${project}/src/main.ts exists`);
    assert.equal(service.build?.dockerfile, 'infra/docker/Dockerfile');
    assert.ok(existsSync(join(root, service.build!.context, service.build!.dockerfile)));
  }
});

test('redis keeps an append-only file and never evicts keys', () => {
  const redis = compose.services.redis!;
  const conf = read('infra/redis/redis.conf');
  assert.match(conf, /^appendonly yes$/m);
  assert.match(conf, /^maxmemory-policy noeviction$/m);
  assert.ok(redis.volumes?.some((v) => v.startsWith('./infra/redis/redis.conf:')), 'the config file is mounted');
  assert.ok(redis.command?.includes('/usr/local/etc/redis/redis.conf'));
});

test('the Dockerfile is multi-stage, copies only what exists and runs as a non-root user', () => {
  const dockerfile = read('infra/docker/Dockerfile');
  assert.equal(dockerfile.match(/^FROM /gm)?.length, 2, 'two stages');
  for (const [, source] of dockerfile.matchAll(/^COPY (?!--from)(\S+(?: \S+)*) \S+$/gm)) {
    for (const path of source!.split(' ')) assert.ok(existsSync(join(root, path)), `COPY source ${path} exists`);
  }
  assert.match(dockerfile, /npm prune --omit=dev/);
  assert.match(dockerfile, /^USER node$/m);
  const cmd = /^CMD \["node", "([^"]+)"\]$/m.exec(dockerfile)?.[1];
  assert.ok(cmd && existsSync(join(root, cmd.replace('/dist/main.js', '/src/main.ts'))), 'CMD runs a service entry point');
});

test('secrets come from a git-ignored env file with a checked-in example', () => {
  assert.match(read('.gitignore'), /^\.env$/m);
  const example = read('.env.example');
  for (const variable of ['SLACK_APP_TOKEN', 'SLACK_BOT_TOKEN']) assert.match(example, new RegExp(`^${variable}=`, 'm'));
});

/** A .dockerignore pattern as a regular expression over slash-separated paths (Go filepath.Match plus `**`). */
function dockerignoreRegExp(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length; i += 1) {
    const ch = pattern[i]!;
    if (ch === '*' && pattern[i + 1] === '*') {
      // `**/` matches any number of directories, none included.
      out += pattern[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += pattern[i + 2] === '/' ? 2 : 1;
    } else if (ch === '*') out += '[^/]*';
    else if (ch === '?') out += '[^/]';
    else out += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** Whether the build context leaves `path` out: the path itself or one of its parent directories matches. */
function dockerignored(patterns: RegExp[], path: string): boolean {
  const parts = path.split('/');
  return parts.some((_, i) => patterns.some((p) => p.test(parts.slice(0, i + 1).join('/'))));
}

function filesUnder(dir: string, skip: (name: string) => boolean): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, dir))) {
    if (skip(name)) continue;
    const path = `${dir}/${name}`;
    if (statSync(join(root, path)).isDirectory()) out.push(...filesUnder(path, skip));
    else out.push(path);
  }
  return out;
}

test('.dockerignore keeps host builds, installs, secrets and artifacts out of the context, and nothing the Dockerfile copies', () => {
  const lines = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  assert.ok(lines.every((l) => !l.startsWith('!')), 'no re-inclusions: every rule only removes');
  const patterns = lines.map(dockerignoreRegExp);
  for (const path of ['dist', 'services/dashboard/dist/main.js', 'node_modules/bullmq/package.json', 'libs/runtime/node_modules/x', '.env', '.env.example', '.env.local', 'services/worker/.env', '.nx/cache/x', 'test-artifacts/failures/x.txt', 'bench-results/2026.json', 'libs/protocol/tsconfig.lib.tsbuildinfo']) {
    assert.ok(dockerignored(patterns, path), `${path} is left out of the build context`);
  }
  const dockerfile = read('infra/docker/Dockerfile');
  const sources = [...dockerfile.matchAll(/^COPY (?!--from)(\S+(?: \S+)*) \S+$/gm)].flatMap((m) => m[1]!.split(' '));
  assert.deepEqual(sources, ['package.json', 'package-lock.json', 'nx.json', 'tsconfig.base.json', 'libs', 'services', 'tools']);
  for (const source of sources) {
    assert.ok(!dockerignored(patterns, source), `COPY ${source} is in the build context`);
    if (!statSync(join(root, source)).isDirectory()) continue;
    // Every checked-in file the build reads (sources, package.json, tsconfig, project.json) goes in.
    const files = filesUnder(source, (name) => name === 'node_modules' || name === 'dist');
    assert.ok(files.length > 0);
    for (const file of files) assert.ok(!dockerignored(patterns, file), `${file} (copied by COPY ${source}) is in the build context`);
  }
});
