import { createHash } from 'node:crypto';
import { readFileSync, realpathSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { Logger } from '../log/logger.js';
import type { Clock } from '../clock.js';

export interface ConfigWatchOptions {
  clock: Clock;
  logger: Logger;
  /** quiet time after the last event before reporting a change (dregsy: 5 s) */
  debounceMs?: number;
  /** for tests: the watcher factory (default fs.watch) */
  watchFn?: (path: string, listener: (event: string, filename: string | null) => void) => FSWatcher;
}

export interface ConfigWatch {
  close(): void;
}

/** SHA-1 of the file, or 'missing'. */
export function fingerprint(file: string): string {
  try {
    return createHash('sha1').update(readFileSync(file)).digest('hex');
  } catch {
    return 'missing';
  }
}

/**
 * Watches a config file the way dregsy does (spec §5.6): the symlink-resolved file AND its parent directory, since
 * editors and Kubernetes ConfigMaps replace files rather than write them. Events are debounced; after the quiet
 * time the file's content is compared with what was loaded (so attribute-only changes are ignored, as dregsy
 * ignores a Chmod that keeps the SHA-1) and `onChange` is called once if it differs or the file is gone.
 */
export function watchConfig(file: string, onChange: () => void, o: ConfigWatchOptions): ConfigWatch {
  const abs = resolve(file);
  let real = abs;
  try {
    real = realpathSync(abs);
  } catch {
    /* watch what we have */
  }
  const loaded = fingerprint(abs);
  const debounceMs = o.debounceMs ?? 5000;
  const watchFn = o.watchFn ?? ((p, l) => watch(p, { persistent: false }, l));
  const watchers: FSWatcher[] = [];
  let timer: AbortController | undefined;
  let closed = false;

  const onEvent = (): void => {
    if (closed) return;
    timer?.abort();
    const t = new AbortController();
    timer = t;
    o.clock.sleep(debounceMs, t.signal).then(
      () => {
        if (closed || timer !== t) return;
        const now = fingerprint(abs);
        if (now === loaded) {
          o.logger.debug({ file: abs }, 'config file touched but unchanged');
          return;
        }
        closed = true;
        for (const w of watchers) w.close();
        o.logger.info({ file: abs }, 'config file changed, restarting ...');
        onChange();
      },
      () => undefined,
    );
  };
  const names = new Set([basename(abs), basename(real), '..data']);
  const add = (path: string, filter?: (name: string | null) => boolean): void => {
    try {
      const w = watchFn(path, (_e, name) => {
        if (!filter || filter(name)) onEvent();
      });
      w.on('error', () => onEvent());
      watchers.push(w);
    } catch (e) {
      o.logger.warn({ path }, `cannot watch ${path}: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  add(real);
  for (const dir of new Set([dirname(abs), dirname(real)])) add(dir, (name) => name === null || names.has(name));
  return {
    close() {
      closed = true;
      timer?.abort();
      for (const w of watchers) w.close();
    },
  };
}
