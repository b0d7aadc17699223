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
import { FakeClock } from '../../src/clock.js';
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

/**
 * A fake clock that tells when something starts a sleep: the watcher's debounce starts one per file event, so a
 * sleep is the sign that an event arrived. Waiting for it is event-driven; the real-time limit is only a safety
 * net, and running into it fails the test (a dead watcher must not pass as "no change").
 */
class EventClock extends FakeClock {
  #waiters: (() => void)[] = [];

  override sleep(ms: number, signal?: AbortSignal): Promise<void> {
    const p = super.sleep(ms, signal);
    for (const w of this.#waiters.splice(0)) w();
    return p;
  }

  /** Resolves at the next sleep started (now, if one is pending); rejects when none starts within `limitMs`. */
  async nextSleep(what: string, limitMs = 20_000): Promise<void> {
    if (this.pending > 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.#waiters.push(resolve)),
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no file event within ${limitMs / 1000} s after ${what}: the watcher is not watching`)), limitMs))),
    ]).finally(() => clearTimeout(timer));
  }
}

describe('watchConfig (real fs events, fake debounce clock)', () => {
  test('an editor-style replace (write temp + rename) is seen; debounced to one change', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-watch-'));
    const file = join(dir, 'config.yaml');
    await writeFile(file, 'tasks: []\n');
    const clock = new EventClock();
    let changes = 0;
    const w = watchConfig(file, () => changes++, { clock, logger: silentLogger, debounceMs: 5000 });
    await writeFile(join(dir, '.config.yaml.tmp'), 'tasks: []\nwatch: true\n');
    await rename(join(dir, '.config.yaml.tmp'), file);
    await clock.nextSleep('the rename');
    await clock.advance(4000);
    assert.equal(changes, 0, 'still debouncing');
    await clock.advance(1000);
    assert.equal(changes, 1);
    w.close();
  });

  test('a touch that keeps the content does not restart; a real change afterwards does', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-watch-'));
    const file = join(dir, 'config.yaml');
    await writeFile(file, 'tasks: []\n');
    const clock = new EventClock();
    let changes = 0;
    const w = watchConfig(file, () => changes++, { clock, logger: silentLogger, debounceMs: 5000 });
    await writeFile(file, 'tasks: []\n');
    await clock.nextSleep('the touch');
    await clock.advance(5000);
    assert.equal(changes, 0, 'the touch kept the content');
    // The positive control: the same watcher, still alive, reports a change of content.
    await writeFile(file, 'tasks: []\nwatch: true\n');
    await clock.nextSleep('the change');
    await clock.advance(5000);
    assert.equal(changes, 1, 'a real change after the touch restarts');
    w.close();
  });
});
