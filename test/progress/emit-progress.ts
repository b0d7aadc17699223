/** Child process for the progress test: attaches progress to stdout and emits a synthetic copy. */
import { attachProgress } from '../../src/progress/progress.js';
import { SyncEventBus } from '../../src/sync/run-events.js';
import { D1, D2, image } from '../server/synthetic.js';

const bus = new SyncEventBus();
const detach = attachProgress(bus, process.stdout, { intervalMs: 5 });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const src = 'docker.io/library/redis:7.2';
const dst = 'harbor.example/hub/redis:7.2';
const copy = (event: Parameters<typeof bus.emit>[0] & { type: 'copy' }): void => bus.emit(event);
bus.emit({ type: 'task-started', task: 'hub', at: Date.now() });
bus.emit({ type: 'image-started', task: 'hub', source: src, target: dst });
copy({ type: 'copy', task: 'hub', source: src, target: dst, event: { type: 'blob-started', digest: D1, size: 3_000_000, repository: 'hub/redis' } });
copy({ type: 'copy', task: 'hub', source: src, target: dst, event: { type: 'blob-started', digest: D2, size: 1_000_000, repository: 'hub/redis' } });
await sleep(30);
copy({ type: 'copy', task: 'hub', source: src, target: dst, event: { type: 'blob-progress', digest: D1, bytes: 1_000_000, size: 3_000_000 } });
await sleep(30);
copy({ type: 'copy', task: 'hub', source: src, target: dst, event: { type: 'blob-done', digest: D2, size: 1_000_000, outcome: 'copied', repository: 'hub/redis', bytes: 1_000_000, durationMs: 3 } });
await sleep(30);
bus.emit({ type: 'image-finished', report: { ...image('hub', 0, 'copied'), source: src, target: dst, bytes: 4_000_000, durationMs: 1500 } });
await sleep(30);
detach();
process.stdout.write('plain line\n');
