/** A registry session for lister tests whose APIs are in-process fakes: closed after the file's tests. */
import { after } from 'node:test';
import type { Clock } from '../../src/clock.js';
import { RegistryClient } from '../../src/registry/client.js';
import type { SessionFn } from '../../src/listers/index.js';

const sessions: RegistryClient[] = [];
let registered = false;

/** A session for `registry` at `endpoint` (default: Docker Hub's registry, which the Hub API tests never reach). */
export function apiSession(o: { endpoint?: string; registry?: string; clock?: Clock } = {}): SessionFn {
  if (!registered) {
    registered = true;
    after(() => Promise.all(sessions.map((s) => s.close())));
  }
  const s = new RegistryClient({ registry: o.registry ?? 'docker.io', endpoint: o.endpoint ?? 'https://registry-1.docker.io', ...(o.clock ? { clock: o.clock } : {}) });
  sessions.push(s);
  return async () => s;
}
