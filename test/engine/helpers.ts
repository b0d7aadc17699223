/** Shared helpers for engine tests against real registries. */
import { after } from 'node:test';
import { request } from 'undici';
import { connectRegistry, type RegistryOptions } from '../../src/registry/connect.js';
import type { RegistryClient } from '../../src/registry/client.js';
import { staticCredentials } from '../../src/registry/auth/credentials.js';
import { startRegistry, type RegistryHandle, type RegistryOptions as HarnessOptions } from '../harness/registry.js';
import { startProxy, type ProxyHandle, type ProxyOptions } from '../harness/proxy.js';
import type { TestManifest } from '../harness/images.js';

const stops: (() => Promise<void>)[] = [];
after(async () => {
  await Promise.all(stops.splice(0).map((s) => s().catch(() => undefined)));
});

export function onCleanup(f: () => Promise<void>): void {
  stops.push(f);
}

export async function registry(o: HarnessOptions = {}): Promise<RegistryHandle> {
  const r = await startRegistry(o);
  onCleanup(() => r.stop());
  return r;
}

export async function proxy(o: ProxyOptions): Promise<ProxyHandle> {
  const p = await startProxy(o);
  onCleanup(() => p.stop());
  return p;
}

/** A ferry client for a harness registry (or a proxy in front of it, by URL). */
export async function client(reg: RegistryHandle, o: RegistryOptions & { via?: string } = {}): Promise<RegistryClient> {
  const creds = reg.username ? staticCredentials({ username: reg.username, password: reg.password ?? '' }) : undefined;
  const c = await connectRegistry(reg.host, { credentials: creds, endpoint: o.via ?? reg.url, tlsVerify: o.tlsVerify ?? !reg.tls, ...o });
  onCleanup(() => c.close());
  return c;
}

/** Every manifest digest in a fixture tree (the root first). */
export function allManifests(m: TestManifest): TestManifest[] {
  return m.kind === 'index' ? [m, ...m.children.flatMap(allManifests)] : [m];
}

/** Status of a HEAD on a blob in a registry, using the harness's own credentials. */
export async function blobStatus(reg: RegistryHandle, repo: string, digest: string, auth?: string): Promise<number> {
  const res = await request(`${reg.url}/v2/${repo}/blobs/${digest}`, {
    method: 'HEAD',
    dispatcher: reg.dispatcher,
    headers: auth ? { authorization: auth } : {},
  });
  await res.body.dump();
  return res.statusCode;
}

/** A transform that flips one byte in the middle of a body (a corrupting middlebox). */
export { flipByteAt as flipOneByte } from '../harness/faults.js';
