import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/index.js';
import { isFerryError } from '../../src/errors.js';
import { silentLogger } from '../../src/log/logger.js';
import type { HttpFn } from '../../src/registry/transport/http.js';
import { systemClock } from '../../src/clock.js';
import { runDaemon, type SignalSource } from '../../src/scheduler/daemon.js';
import { SyncEventBus } from '../../src/sync/run-events.js';
import { createRuntime } from '../../src/sync/runtime.js';

/**
 * No invalid config opens a connection, including configs that only fail while resolving (TLS directories, lister
 * inputs, `${file:}` and `${ENV}` credentials). Each fixture of the bad-config corpus goes the way `ferry sync
 * --once` takes it: loadConfig, then, if that accepts it, the daemon with a real runtime. Every registry request
 * and every lister API call of those runs (they go through the registry sessions) is redirected to one loopback listener that counts the TCP connections
 * it accepts (so nothing can leave the machine), and the count must stay 0 over the whole corpus. A check that
 * moved from loading to a run would let its fixture's first task connect, and this test would name the fixture.
 */
const dir = fileURLToPath(new URL('../fixtures/config/bad/', import.meta.url));
const fixtures = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();
const fixtureEnv = (f: string): Record<string, string> => (f.startsWith('docker-config-') ? { DOCKER_CONFIG: `test/fixtures/config/docker/${f.replace(/\.yaml$/, '')}` } : {});

describe('the bad-config corpus opens no connection', () => {
  it('every fixture is refused with 0 TCP connections accepted by a loopback listener all traffic is sent to', async () => {
    let connections = 0;
    const server = createServer((_req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"errors":[{"code":"NAME_UNKNOWN","message":"the counting listener serves nothing"}]}');
    });
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const toListener = (url: string): string => {
      const u = new URL(url);
      return `${origin}${u.pathname}${u.search}`;
    };
    const wrapHttp = (http: HttpFn): HttpFn => (req) => http({ ...req, url: toListener(req.url) });

    const connected: string[] = [];
    const accepted: string[] = [];
    try {
      for (const f of fixtures) {
        const before = connections;
        const file = join(dir, f);
        const opts = { env: fixtureEnv(f), strict: f.includes('.strict.') };
        const bus = new SyncEventBus();
        let exit: number;
        try {
          const initial = await loadConfig(file, opts);
          accepted.push(f);
          exit = await runDaemon({
            initial,
            reload: () => loadConfig(file, opts),
            select: () => true,
            once: true,
            runtime: (config) => createRuntime(config, { logger: silentLogger, clock: systemClock, bus, dockerConfig: { get: async () => undefined }, wrapHttp }),
            watch: () => ({ close() {} }),
            signals: new EventEmitter() as SignalSource,
            logger: silentLogger,
            clock: systemClock,
            bus,
          });
        } catch (e) {
          if (!isFerryError(e, 'CONFIG_INVALID')) throw e;
          exit = 1;
        }
        assert.equal(exit, 1, `${f}: the run did not fail`);
        if (connections > before) connected.push(`${f} (${connections - before})`);
      }
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    assert.ok(fixtures.length >= 55, `${fixtures.length} fixtures`);
    assert.deepEqual(connected, [], 'fixtures whose error was found only after connecting');
    assert.equal(connections, 0);
    assert.deepEqual(accepted, [], 'fixtures loadConfig accepted');
  });
});
