import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdtemp, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseConfig, type LoadedConfig } from '../../src/config/index.js';
import type { TaskConfig } from '../../src/config/types.js';
import { FerryError } from '../../src/errors.js';
import { silentLogger } from '../../src/log/logger.js';
import { FakeClock } from '../../src/scheduler/clock.js';
import { watchConfig } from '../../src/scheduler/config-watch.js';
import { runDaemon, type SignalSource } from '../../src/scheduler/daemon.js';
import { SyncEventBus } from '../../src/sync/run-events.js';
import type { Runtime } from '../../src/sync/runtime.js';

function config(names: Array<[string, number]>, watch = false): LoadedConfig {
  const yaml = `watch: ${watch}\ntasks:\n${names
    .map(([n, i]) => `  - name: ${n}\n    interval: ${i}\n    source: {registry: src.example.com, auth: none}\n    target: {registry: dst.example.com, auth: none}\n    mappings: [{from: a/b, tags: [v1]}]`)
    .join('\n')}\n`;
  return parseConfig(yaml, 'test.yaml');
}

function fakeRuntime(clock: FakeClock, log: string[], ms = 1000, fail = false): (c: unknown) => Runtime {
  return () => ({
    pool: undefined as never,
    listers: () => undefined,
    async run(t: TaskConfig, signal?: AbortSignal) {
      log.push(`start ${t.name}@${clock.now()}`);
      let aborted = false;
      await clock.sleep(ms, signal).catch(() => (aborted = true));
      log.push(`${aborted ? 'aborted' : 'end'} ${t.name}@${clock.now()}`);
      return { task: t.name, startedAt: 0, finishedAt: 0, copied: 0, upToDate: 0, failed: fail ? 1 : 0, skipped: 0, bytes: 0, pulls: 0, ok: !fail };
    },
    close: async () => void log.push('close'),
  });
}

const noWatch = () => ({ close() {} });

describe('runDaemon', () => {
  test('only one-off tasks: runs them and exits 0, or 1 when one failed (dregsy §5.5)', async () => {
    for (const fail of [false, true]) {
      const clock = new FakeClock();
      const log: string[] = [];
      const code = runDaemon({ initial: config([['a', 0]]), reload: async () => config([]), select: () => true, once: false, runtime: fakeRuntime(clock, log, 10, fail), watch: noWatch, signals: new EventEmitter() as SignalSource, logger: silentLogger, clock, bus: new SyncEventBus() });
      await clock.advance(10);
      assert.equal(await code, fail ? 1 : 0);
    }
  });

  test('SIGHUP re-reads the config and restarts (one-offs run again, -run kept); SIGTERM aborts and exits 0', async () => {
    const clock = new FakeClock();
    const log: string[] = [];
    const signals = new EventEmitter();
    let reloads = 0;
    const code = runDaemon({
      initial: config([['p', 60], ['skip-me', 60]]),
      reload: async () => (reloads++, config([['p', 60], ['q', 0]])),
      select: (n) => n !== 'skip-me',
      once: false,
      runtime: fakeRuntime(clock, log, 100_000),
      watch: noWatch,
      signals: signals as SignalSource,
      logger: silentLogger,
      clock,
      bus: new SyncEventBus(),
    });
    await clock.advance(10);
    signals.emit('SIGHUP');
    await clock.advance(10);
    assert.equal(reloads, 1);
    assert.deepEqual(log.slice(0, 3), ['start p@0', 'aborted p@10', 'close']);
    assert.ok(log.includes('start q@10') && log.includes('start p@10'), log.join(','));
    signals.emit('SIGTERM');
    assert.equal(await code, 0);
    assert.equal(signals.listenerCount('SIGTERM') + signals.listenerCount('SIGHUP') + signals.listenerCount('SIGINT'), 0, 'listeners removed');
    assert.ok(!log.some((l) => l.includes('skip-me')));
  });

  test('an invalid config on restart exits 1', async () => {
    const clock = new FakeClock();
    const signals = new EventEmitter();
    const code = runDaemon({
      initial: config([['p', 60]]),
      reload: async () => {
        throw new FerryError('CONFIG_INVALID', 'bad');
      },
      select: () => true,
      once: false,
      runtime: fakeRuntime(clock, [], 10),
      watch: noWatch,
      signals: signals as SignalSource,
      logger: silentLogger,
      clock,
      bus: new SyncEventBus(),
    });
    await clock.advance(1);
    signals.emit('SIGHUP');
    assert.equal(await code, 1);
  });

  test('watch: true restarts when the watcher reports a change', async () => {
    const clock = new FakeClock();
    let trigger: () => void = () => undefined;
    let reloads = 0;
    const signals = new EventEmitter();
    const code = runDaemon({
      initial: config([['p', 60]], true),
      reload: async () => (reloads++, config([['p', 60]], false)),
      select: () => true,
      once: false,
      runtime: fakeRuntime(clock, [], 10),
      watch: (_f, onChange) => ((trigger = onChange), { close() {} }),
      signals: signals as SignalSource,
      logger: silentLogger,
      clock,
      bus: new SyncEventBus(),
    });
    await clock.advance(1);
    trigger();
    await clock.advance(1);
    assert.equal(reloads, 1);
    signals.emit('SIGINT');
    assert.equal(await code, 0);
  });
});

describe('watchConfig (real fs events, fake debounce clock)', () => {
  async function until(cond: () => boolean): Promise<void> {
    for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  }

  test('an editor-style replace (write temp + rename) is seen; debounced to one change', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-watch-'));
    const file = join(dir, 'config.yaml');
    await writeFile(file, 'tasks: []\n');
    const clock = new FakeClock();
    let changes = 0;
    const w = watchConfig(file, () => changes++, { clock, logger: silentLogger, debounceMs: 5000 });
    await writeFile(join(dir, '.config.yaml.tmp'), 'tasks: []\nwatch: true\n');
    await rename(join(dir, '.config.yaml.tmp'), file);
    await until(() => clock.pending > 0);
    assert.ok(clock.pending > 0, 'an event was seen');
    await clock.advance(4000);
    assert.equal(changes, 0, 'still debouncing');
    await clock.advance(1000);
    assert.equal(changes, 1);
    w.close();
  });

  test('a touch that keeps the content does not restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-watch-'));
    const file = join(dir, 'config.yaml');
    await writeFile(file, 'tasks: []\n');
    const clock = new FakeClock();
    let changes = 0;
    const w = watchConfig(file, () => changes++, { clock, logger: silentLogger, debounceMs: 5000 });
    await writeFile(file, 'tasks: []\n');
    await until(() => clock.pending > 0);
    await clock.advance(5000);
    assert.equal(changes, 0);
    w.close();
  });
});
