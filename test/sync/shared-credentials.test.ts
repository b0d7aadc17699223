/**
 * Credentials are those of the task (issue 14, item 0): two tasks log in to the same registry as the same user,
 * one with the right password and one with a stale one. Registry sessions are shared only between identical
 * credentials, so in either start order the good task copies and the stale one fails with its own 401.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { parseConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/log/logger.js';
import { systemClock } from '../../src/clock.js';
import { createRuntime } from '../../src/sync/runtime.js';
import { SyncEventBus, type ImageReport } from '../../src/sync/run-events.js';
import { makeImage, pushImage } from '../harness/images.js';
import { registry } from '../engine/helpers.js';
import { tagsOf } from '../cli/helpers.js';

const auth = (username: string, password: string): string => Buffer.from(JSON.stringify({ username, password })).toString('base64');

describe('registry sessions are shared only between identical credentials', () => {
  for (const order of [['good', 'stale'], ['stale', 'good']] as const) {
    test(`same registry, same user, ${order[0]} password first`, async () => {
      const src = await registry({ auth: 'htpasswd' });
      const dst = await registry();
      await pushImage(src, 'team/app', 'v1', makeImage({ kind: 'oci', layers: [2000], seed: `creds-${order[0]}` }));
      const user = src.username!;
      const task = (name: string, password: string) => `  - name: ${name}
    source: {registry: ${src.host}, auth: ${auth(user, password)}}
    target: {registry: ${dst.host}, auth: none}
    mappings:
      - {from: team/app, to: ${name}/app, tags: [v1]}
`;
      const yaml = `tasks:\n${order.map((n) => task(n, n === 'good' ? src.password! : 'stale-password')).join('')}`;
      const { config } = parseConfig(yaml, 'creds.yaml');
      const bus = new SyncEventBus();
      const images: ImageReport[] = [];
      bus.on((e) => void (e.type === 'image-finished' && images.push(e.report)));
      const rt = createRuntime(config, { logger: silentLogger, clock: systemClock, bus });
      after(() => rt.close());
      const summaries = new Map<string, Awaited<ReturnType<typeof rt.run>>>();
      for (const t of config.tasks) summaries.set(t.name, await rt.run(t));
      const good = summaries.get('good')!;
      const stale = summaries.get('stale')!;
      assert.equal(good.ok, true, JSON.stringify(good));
      assert.equal(good.copied, 1, JSON.stringify(good));
      assert.deepEqual(await tagsOf(dst, 'good/app'), ['v1']);
      assert.equal(stale.copied, 0, JSON.stringify(stale));
      assert.deepEqual(await tagsOf(dst, 'stale/app'), [], 'the stale password copied nothing');
      const staleFailure = images.find((i) => i.task === 'stale' && i.action === 'failed');
      const failure = `${staleFailure?.errorCode ?? ''} ${staleFailure?.reason ?? ''} ${stale.error ?? ''}`;
      assert.match(failure, /UNAUTHORIZED|HTTP 401/, failure);
      assert.match(failure, /credentials were rejected/, failure);
      assert.ok(!images.some((i) => i.task === 'good' && i.action === 'failed'));
    });
  }
});
