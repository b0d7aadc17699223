/** Starts the ops server on a free loopback port with a fresh bus, store and metrics. */
import { after } from 'node:test';
import { silentLogger } from '../../src/log/logger.js';
import { startOpsServer, type OpsServer } from '../../src/server/http-server.js';
import { createMetrics, type FerryMetrics } from '../../src/server/metrics.js';
import { StatusStore } from '../../src/server/status-store.js';
import { SyncEventBus } from '../../src/sync/run-events.js';
import { RunProjection } from '../../src/sync/run-projection.js';

export interface Ops {
  bus: SyncEventBus;
  projection: RunProjection;
  store: StatusStore;
  metrics: FerryMetrics;
  server: OpsServer;
  url: string;
}

export async function startOps(): Promise<Ops> {
  const bus = new SyncEventBus();
  const projection = new RunProjection(bus);
  const store = new StatusStore(projection);
  const metrics = createMetrics(projection);
  const server = await startOpsServer({ listen: '127.0.0.1:0', store, metrics, logger: silentLogger });
  after(() => server.close());
  return { bus, projection, store, metrics, server, url: `http://${server.address}` };
}

/** Parses the Prometheus text format into `name{labels} → value` (labels sorted as prom-client writes them). */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a Prometheus sample line: ${line}`);
    out.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
  }
  return out;
}
