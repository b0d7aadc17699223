/**
 * `low-speed-limit` / `low-speed-time` from a `registries:` entry reach the clients a sync uses; registries
 * without them get the default (below 1 KiB/s over 60 s). No connection is made: the endpoints are explicit.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { parseConfig } from '../../src/config/index.js';
import { silentLogger } from '../../src/log/logger.js';
import { PullBudget } from '../../src/registry/budget/index.js';
import { DEFAULT_LOW_SPEED } from '../../src/registry/transport/low-speed.js';
import { FakeClock } from '../../src/clock.js';
import { RegistryPool } from '../../src/sync/registry-pool.js';

test('a sync connects each registry with its own low-speed limit, or the default', async () => {
  const { config } = parseConfig(
    `registries:
  slow.example.com:
    endpoint: http://127.0.0.1:9
    low-speed-limit: 100
    low-speed-time: 5m
  off.example.com:
    endpoint: http://127.0.0.1:9
    low-speed-limit: 0
  plain.example.com:
    endpoint: http://127.0.0.1:9
tasks:
  - name: a
    source: {registry: slow.example.com, auth: none}
    target: {registry: off.example.com, auth: none}
    mappings: [{from: x/y}]
  - name: b
    source: {registry: plain.example.com, auth: none}
    target: {registry: off.example.com, auth: none}
    mappings: [{from: x/y}]
`,
    'cfg.yaml',
    { env: {} },
  );
  const clock = new FakeClock();
  const pool = new RegistryPool({ config, logger: silentLogger, clock, budget: new PullBudget({ clock }) });
  after(() => pool.close());
  const [a, b] = config.tasks;
  assert.deepEqual((await pool.client(a!.source)).lowSpeed, { bytesPerSecond: 100, timeMs: 300_000 });
  assert.deepEqual((await pool.client(a!.target)).lowSpeed, { bytesPerSecond: 0, timeMs: DEFAULT_LOW_SPEED.timeMs });
  assert.deepEqual((await pool.client(b!.source)).lowSpeed, DEFAULT_LOW_SPEED);
});
