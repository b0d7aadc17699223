import { readFile } from 'node:fs/promises';
import { FerryError } from '../errors.js';
import { attachProgress } from '../progress/progress.js';
import type { Logger } from '../log/logger.js';
import { attachRunReport } from '../report/run-report.js';
import type { SyncEventBus } from '../sync/run-events.js';
import { RunProjection } from '../sync/run-projection.js';
import type { OpsServer } from './http-server.js';

export interface OperationsOptions {
  bus: SyncEventBus;
  /** `--listen ADDR`: serve /metrics, /healthz, /readyz, /status and the status page */
  listen?: string;
  /** `--listen-host NAME` (repeatable): host names `/` and `/status` answer to, besides IP literals and localhost */
  listenHosts?: string[];
  /** `--listen-token-file FILE`: a bearer token that `/` and `/status` require */
  listenTokenFile?: string;
  /** `--report FILE`: the JSON run report, rewritten after every task run */
  reportFile?: string;
  /** live progress on this stream when it is a terminal (nothing otherwise) */
  progressStream?: NodeJS.WritableStream;
  logger: Logger;
}

export interface Operations {
  server?: OpsServer;
  /** flushes the report, stops the server and the progress display */
  close(): Promise<void>;
}

/**
 * Everything that observes a sync from the outside, subscribed to its event bus before the first event: one run
 * projection, and its views: status store + metrics + HTTP server, run report, progress. Call `close()` when the
 * command ends.
 */
export async function setupOperations(o: OperationsOptions): Promise<Operations> {
  const closers: (() => Promise<void> | void)[] = [];
  const close = async (): Promise<void> => {
    for (const c of closers.splice(0).reverse()) await c();
  };
  const projection = new RunProjection(o.bus);
  closers.push(() => projection.detach());
  try {
    if (o.progressStream) closers.push(attachProgress(projection, o.progressStream));
    if (o.reportFile) {
      const rep = attachRunReport({ projection, file: o.reportFile, logger: o.logger });
      closers.push(() => rep.close());
    }
    let server: OpsServer | undefined;
    if (o.listen === undefined && (o.listenHosts?.length || o.listenTokenFile !== undefined)) {
      throw new FerryError('USAGE', '--listen-host and --listen-token-file need --listen ADDR');
    }
    if (o.listen !== undefined) {
      const token = o.listenTokenFile === undefined ? undefined : await readToken(o.listenTokenFile);
      // Loaded only when asked for: prom-client and the status page cost memory a one-off run does not need.
      const [{ startOpsServer }, { createMetrics }, { StatusStore }] = await Promise.all([
        import('./http-server.js'),
        import('./metrics.js'),
        import('./status-store.js'),
      ]);
      server = await startOpsServer({
        listen: o.listen,
        store: new StatusStore(projection),
        metrics: createMetrics(projection),
        logger: o.logger,
        ...(o.listenHosts ? { allowedHosts: o.listenHosts } : {}),
        ...(token !== undefined ? { token } : {}),
      });
      closers.push(() => server?.close());
    }
    return { ...(server ? { server } : {}), close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** The token in `--listen-token-file` (surrounding whitespace and newlines removed); never echoed in errors. */
async function readToken(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    throw new FerryError('USAGE', `--listen-token-file ${file}: cannot read it (${code})`);
  }
  const token = text.trim();
  if (token === '') throw new FerryError('USAGE', `--listen-token-file ${file} is empty: put the token in it`);
  if (/\s/.test(token)) throw new FerryError('USAGE', `--listen-token-file ${file} holds whitespace inside the token: use one line without spaces`);
  return token;
}
