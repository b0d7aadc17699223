/**
 * Child process for the progress test: attaches progress to stdout and emits a synthetic copy, each step after
 * the progress display has written what the previous one changed (waiting for the write, not for time).
 */
import { attachProgress } from '../../src/progress/progress.js';
import { SyncEventBus } from '../../src/sync/run-events.js';
import { RunProjection } from '../../src/sync/run-projection.js';
import { D1, D2, image } from '../server/synthetic.js';

const bus = new SyncEventBus();
const detach = attachProgress(new RunProjection(bus), process.stdout, { intervalMs: 5 });
let wrote: () => void = () => undefined;
const write = process.stdout.write.bind(process.stdout) as (chunk: string | Uint8Array) => boolean;
process.stdout.write = ((chunk: string | Uint8Array) => {
  const r = write(chunk);
  wrote();
  return r;
}) as typeof process.stdout.write;
/** Resolves at the display's next write (set up before the event that causes it); on a pipe it writes nothing. */
const nextWrite = (): Promise<void> => (process.stdout.isTTY ? new Promise((resolve) => (wrote = resolve)) : Promise.resolve());
const src = 'docker.io/library/redis:7.2';
const dst = 'harbor.example/hub/redis:7.2';
const copy = (event: Parameters<typeof bus.emit>[0] & { type: 'copy' }): void => bus.emit(event);
bus.emit({ type: 'task-started', task: 'hub', at: Date.now() });
bus.emit({ type: 'image-started', task: 'hub', mapping: 0, source: src, target: dst });
copy({ type: 'copy', task: 'hub', mapping: 0, source: src, target: dst, event: { type: 'blob-started', digest: D1, size: 3_000_000, repository: 'hub/redis' } });
let drawn = nextWrite();
copy({ type: 'copy', task: 'hub', mapping: 0, source: src, target: dst, event: { type: 'blob-started', digest: D2, size: 1_000_000, repository: 'hub/redis' } });
await drawn;
drawn = nextWrite();
copy({ type: 'copy', task: 'hub', mapping: 0, source: src, target: dst, event: { type: 'blob-progress', digest: D1, bytes: 1_000_000, size: 3_000_000 } });
await drawn;
drawn = nextWrite();
copy({ type: 'copy', task: 'hub', mapping: 0, source: src, target: dst, event: { type: 'blob-done', digest: D2, size: 1_000_000, outcome: 'copied', repository: 'hub/redis', bytes: 1_000_000, durationMs: 3 } });
await drawn;
drawn = nextWrite();
bus.emit({ type: 'image-finished', report: { ...image('hub', 0, 'copied'), source: src, target: dst, bytes: 4_000_000, durationMs: 1500 } });
await drawn;
detach();
process.stdout.write('plain line\n');
