/**
 * Several accounts for one source registry (`registries.<name>.credentials`, regclient #766), end to end: a real
 * htpasswd registry with two users, behind a proxy that reports a Hub-style pull budget per user (ratelimit-*
 * headers on manifest responses, counted per account from its Basic auth). Each task run pulls as the account with
 * most budget left; the pulls are charged to that account, and the planned line and event name it.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { FakeClock } from '../../src/clock.js';
import { parseConfig } from '../../src/config/index.js';
import { encodeDregsyAuth } from '../../src/credentials/dregsy-auth.js';
import type { Logger } from '../../src/log/logger.js';
import { createRuntime } from '../../src/sync/runtime.js';
import { SyncEventBus, type SyncEvent } from '../../src/sync/run-events.js';
import { formatTaskSummary } from '../../src/report/summary.js';
import { tagsOf } from '../cli/helpers.js';
import { proxy, registry } from '../engine/helpers.js';
import { makeImage, pushImage } from '../harness/images.js';

const USERS = { alice: 'alice-secret', bob: 'bob-secret' };

function userOf(req: IncomingMessage): string | undefined {
  const h = req.headers.authorization;
  if (!h?.startsWith('Basic ')) return undefined;
  return Buffer.from(h.slice(6), 'base64').toString('utf8').split(':')[0];
}

function capturingLogger(lines: string[]): Logger {
  const logger: Logger = {
    trace() {},
    debug() {},
    info: (_o: object, msg?: string) => void lines.push(msg ?? ''),
    warn: (_o: object, msg?: string) => void lines.push(msg ?? ''),
    error: (_o: object, msg?: string) => void lines.push(msg ?? ''),
    child: () => logger,
  };
  return logger;
}

describe('registries.*.credentials: a credential pool per source registry', () => {
  test('each run pulls as the account with most budget left, charges its pulls to it, and says which', async () => {
    const [src, dst] = await Promise.all([registry({ auth: 'htpasswd', users: USERS }), registry()]);
    // Hub-style budget per account: alice has 50 pulls left, bob 3 (a manifest GET spends one; a HEAD is free)
    const left: Record<string, number> = { alice: 50, bob: 3 };
    const pulls: string[] = [];
    const p = await proxy({
      upstream: { url: src.url },
      transformResponse: (req, res) => {
        const user = userOf(req);
        if (!user || !/\/manifests\//.test(req.url ?? '') || res.status !== 200) return undefined;
        if (req.method === 'GET') {
          left[user]!--;
          pulls.push(user);
        }
        return { ...res, headers: { ...res.headers, 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': `${left[user]};w=21600` } };
      },
    });
    const yaml = `registries:
  '${src.host}':
    endpoint: ${p.url}
    credentials: ['${encodeDregsyAuth('alice', USERS.alice)}', '${encodeDregsyAuth('bob', USERS.bob)}']
tasks:
  - name: pooled
    source: { registry: '${src.host}' }
    target: { registry: '${dst.host}', auth: none }
    mappings:
      - { from: app, to: app }
`;
    const { config } = parseConfig(yaml, 'pool.yaml');
    const bus = new SyncEventBus();
    const planned: SyncEvent[] = [];
    bus.on((e) => void (e.type === 'task-planned' && planned.push(e)));
    const lines: string[] = [];
    const rt = createRuntime(config, { logger: capturingLogger(lines), clock: new FakeClock(0), bus, dockerConfig: { get: async () => undefined } });
    const task = config.tasks[0]!;
    const run = async (tag: string, expected: string): Promise<void> => {
      await pushImage(src, 'app', tag, makeImage({ kind: 'oci', layers: [64], seed: `pool-${tag}` }));
      const before = pulls.length;
      const summary = await rt.run(task);
      assert.equal(summary.ok, true, JSON.stringify(summary));
      assert.equal(summary.copied, 1);
      assert.equal(summary.pullIdentity, expected, 'the run summary (and so the run report) names the account');
      assert.match(formatTaskSummary(summary), new RegExp(`, 1 pull as ${expected} \\(planned: 1\\)`));
      assert.deepEqual(pulls.slice(before), [expected], `run for ${tag}: the manifest GET was made as ${expected}`);
      assert.ok(lines.some((l) => l.includes(`as ${expected}`) && l.startsWith('planned:')), `the planned line names ${expected}`);
      lines.length = 0;
    };
    try {
      await run('v1', 'alice'); // both budgets unknown: the first listed account
      await run('v2', 'bob'); // bob's budget is unknown, so he is tried to learn it
      await run('v3', 'alice'); // now known: alice 49 left, bob 2
      await run('v4', 'alice');
      assert.deepEqual(await tagsOf(dst, 'app'), ['v1', 'v2', 'v3', 'v4']);
      // the budget charged each account with its own pulls, as the registry reported them
      assert.equal(rt.pool.budget.state(src.host, 'alice')?.remaining, 47);
      assert.equal(rt.pool.budget.state(src.host, 'bob')?.remaining, 2);
      const identities = planned.map((e) => (e.type === 'task-planned' ? e.budget?.identity : undefined));
      assert.deepEqual(identities.slice(1), ['bob', 'alice', 'alice'], 'the task-planned event carries the chosen account');
      // the secrets never reach a log line
      assert.ok(lines.every((l) => !l.includes('secret')));
    } finally {
      await rt.close();
    }
  });

  test("a source's own auth: is the first account; auth: none stays anonymous; a target is never pooled", async () => {
    const [src, dst] = await Promise.all([registry({ auth: 'htpasswd', users: USERS }), registry()]);
    await pushImage(src, 'app', 'v1', makeImage({ kind: 'oci', layers: [32], seed: 'pool-own' }));
    const who: string[] = [];
    const p = await proxy({ upstream: { url: src.url }, onRequest: (req) => (who.push(userOf(req) ?? '-'), 'pass') });
    const yaml = (auth: string) => `registries:
  '${src.host}': { endpoint: ${p.url}, credentials: ['${encodeDregsyAuth('alice', USERS.alice)}'] }
  '${dst.host}': { credentials: ['${encodeDregsyAuth('alice', USERS.alice)}'] }
tasks:
  - name: own
    source: { registry: '${src.host}', auth: ${auth} }
    target: { registry: '${dst.host}', auth: none }
    mappings:
      - { from: app, to: app }
`;
    const rtFor = (auth: string) => {
      const { config } = parseConfig(yaml(auth), 'own.yaml');
      return { config, rt: createRuntime(config, { logger: capturingLogger([]), clock: new FakeClock(0), bus: new SyncEventBus(), dockerConfig: { get: async () => undefined } }) };
    };
    const own = rtFor(`'${encodeDregsyAuth('bob', USERS.bob)}'`);
    try {
      const summary = await own.rt.run(own.config.tasks[0]!);
      assert.equal(summary.ok, true, JSON.stringify(summary));
      assert.ok(who.includes('bob') && !who.includes('alice'), `the task's own account went first: ${who.join(',')}`);
      assert.equal(summary.pullIdentity, 'bob');
      const target = await own.rt.pool.client(own.config.tasks[0]!.target);
      assert.equal(own.rt.pool.identity(target), 'anonymous', 'the target keeps its auth: none');
    } finally {
      await own.rt.close();
    }
    who.length = 0;
    const none = rtFor('none');
    try {
      const summary = await none.rt.run(none.config.tasks[0]!);
      assert.equal(summary.ok, false, 'anonymous pulls from an htpasswd registry are refused');
      assert.equal(summary.pullIdentity, undefined, 'not pooled');
      assert.ok(who.every((u) => u === '-'), 'no pooled account was used');
    } finally {
      await none.rt.close();
    }
  });

  test('repositories are listed with the first account, whichever account the run pulls as; the choice is logged once', async () => {
    // a Docker Hub API on loopback: its login says which account lists, its listing path which namespace
    const logins: string[] = [];
    const listed: string[] = [];
    const hub = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (req.url?.startsWith('/v2/users/login')) {
          logins.push((JSON.parse(body) as { username: string }).username);
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: 'jwt' }));
        } else {
          listed.push(req.url ?? '');
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ results: [], next: null }));
        }
      });
    });
    await new Promise<void>((r) => hub.listen(0, '127.0.0.1', r));
    const yaml = `registries:
  docker.io:
    endpoint: http://127.0.0.1:1
    credentials: ['${encodeDregsyAuth('alice', USERS.alice)}', '${encodeDregsyAuth('bob', USERS.bob)}']
tasks:
  - name: t
    source: { registry: docker.io, lister: { type: dockerhub } }
    target: { registry: '127.0.0.1:2', auth: none }
    mappings:
      - { from: 'regex:.*', to: x }
`;
    const { config } = parseConfig(yaml, 'pool.yaml');
    const lines: string[] = [];
    const rt = createRuntime(config, {
      logger: capturingLogger(lines),
      clock: new FakeClock(0),
      bus: new SyncEventBus(),
      dockerConfig: { get: async () => undefined },
      hubApi: `http://127.0.0.1:${(hub.address() as AddressInfo).port}`,
    });
    const task = config.tasks[0]!;
    try {
      // alice's budget is known, bob's is not: the run's choice is bob (an unknown budget is tried first)
      const alice = await rt.pool.choose(task.source);
      assert.equal(rt.pool.identity(alice), 'alice');
      rt.pool.budget.observe(
        { registry: 'docker.io', method: 'HEAD', kind: 'manifest', url: 'http://127.0.0.1:1/v2/x/manifests/y', status: 200, headers: { 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': '40;w=21600' } },
        'alice',
      );
      const run = await rt.pool.choose(task.source);
      assert.equal(rt.pool.identity(run), 'bob');
      assert.equal(rt.pool.identity(await rt.pool.client(task.source)), 'bob', 'client() returns the run\'s choice, no new one');
      await rt.listers(task)!.for(task.mappings[0]!).list();
      assert.deepEqual(logins, ['alice']);
      assert.deepEqual(listed.map((u) => u.split('?')[0]), ['/v2/repositories/alice/']);
      assert.deepEqual(
        lines.filter((l) => l.startsWith('pulling from')).map((l) => l.split(' (')[0]),
        ['pulling from docker.io as alice', 'pulling from docker.io as bob'],
      );
    } finally {
      await rt.close();
      hub.close();
    }
  });
});
