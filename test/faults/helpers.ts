import type { Clock } from '../../src/clock.js';
/** Shared helpers for the fault tests: registries with cleanup, ferry clients, a seed-shaped image set, target checks. */
import { request } from 'undici';
import type { ConnectDeps, RegistryOptions } from '../../src/registry/connect.js';
import { connectRegistry } from '../../src/registry/connect.js';
import type { RegistryClient } from '../../src/registry/client.js';
import type { BackoffPolicy } from '../../src/registry/transport/retry.js';
import { sha256, MT } from '../harness/images.js';
import type { RegistryHandle } from '../harness/registry.js';
import { onCleanup } from '../engine/helpers.js';

export { onCleanup, proxy, registry } from '../engine/helpers.js';
export { pushSeed, seedShapedImages, type SeedImage } from '../harness/seed-shaped.js';

/** Short real backoffs: fault tests stay fast, yet exercise the same code paths. */
export const FAST_BACKOFF: BackoffPolicy = Object.freeze({ attempts: 6, baseMs: 20, maxMs: 250 });

/** A ferry client for an open harness registry, optionally through a proxy. */
export async function ferry(reg: RegistryHandle, o: RegistryOptions & { via?: string } = {}, deps: ConnectDeps = {}): Promise<RegistryClient> {
  const c = await connectRegistry(reg.host, { endpoint: o.via ?? reg.url, tlsVerify: !reg.tls, ...o }, { backoff: FAST_BACKOFF, ...deps });
  onCleanup(() => c.close());
  return c;
}

const ACCEPT = [MT.ociIndex, MT.dockerList, MT.ociManifest, MT.dockerManifest].join(', ');

export interface TargetCheck {
  state: 'absent' | 'complete' | 'incomplete';
  digest?: string;
  missing: string[];
}

/**
 * What a reference on a registry points at, checked with raw HTTP (independent of ferry): absent, or a manifest
 * whose children (recursively) and blobs all exist — else incomplete, listing what is missing.
 */
export async function checkTarget(reg: RegistryHandle, repo: string, reference: string): Promise<TargetCheck> {
  const missing: string[] = [];
  const get = async (ref: string): Promise<{ status: number; bytes: Buffer }> => {
    const res = await request(`${reg.url}/v2/${repo}/manifests/${ref}`, { headers: { accept: ACCEPT }, dispatcher: reg.dispatcher });
    return { status: res.statusCode, bytes: Buffer.from(await res.body.arrayBuffer()) };
  };
  const blobExists = async (digest: string): Promise<boolean> => {
    const res = await request(`${reg.url}/v2/${repo}/blobs/${digest}`, { method: 'HEAD', dispatcher: reg.dispatcher });
    await res.body.dump();
    return res.statusCode === 200;
  };
  const walk = async (ref: string, bytes: Buffer): Promise<void> => {
    if (ref.startsWith('sha256:') && sha256(bytes) !== ref) missing.push(`${ref} (bytes differ)`);
    const m = JSON.parse(bytes.toString('utf8')) as { manifests?: { digest: string }[]; config?: { digest: string }; layers?: { digest: string }[] };
    if (m.manifests) {
      for (const c of m.manifests) {
        const child = await get(c.digest);
        if (child.status !== 200) missing.push(c.digest);
        else await walk(c.digest, child.bytes);
      }
      return;
    }
    for (const b of [m.config, ...(m.layers ?? [])]) if (b && !(await blobExists(b.digest))) missing.push(b.digest);
  };
  const top = await get(reference);
  if (top.status === 404) return { state: 'absent', missing };
  if (top.status !== 200) throw new Error(`checkTarget ${repo}:${reference}: HTTP ${top.status}`);
  await walk(reference, top.bytes);
  return { state: missing.length ? 'incomplete' : 'complete', digest: sha256(top.bytes), missing };
}

/**
 * Real time (or `now`), but every sleep is recorded and returns at once: a test sees the waits ferry asks for
 * without waiting them. A sleep still yields to the event loop (setImmediate), so a loop that polls the clock
 * (a transfer's low-speed ticker) cannot starve the I/O it waits for.
 */
export function recordingClock(now: () => number = () => Date.now()): Clock & { sleeps: number[] } {
  const sleeps: number[] = [];
  return {
    sleeps,
    now,
    sleep: (ms: number) => {
      if (ms > 0) sleeps.push(ms);
      return new Promise<void>((resolve) => setImmediate(resolve));
    },
  };
}
