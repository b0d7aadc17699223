/**
 * The library runner (`npm run bench -- --runner library`; the default is the CLI, `ferry sync --once`): lists
 * the tags of each repository, then copies every image with bounded concurrency and one run-wide BlobTransfers
 * (blob dedupe and cross-repository mounts), driving the built engine (dist/) without the CLI, its config and
 * its planner, to tell the engine's cost from the rest.
 *
 *   node bench/.out/ferry-sync.mjs --src http://127.0.0.1:5000 --dst http://127.0.0.1:5001 --repos-file FILE
 *        [--images 8] [--lists 8] [--max-concurrency 8] [--cpu-prof-hint]
 *
 * Target repositories have the source names. Prints one JSON line with counts and timings.
 */
import { subscribe } from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { connectRegistry } from '../dist/registry/connect.js';
import { listTags } from '../dist/registry/listing.js';
import { Semaphore } from '../dist/registry/transport/semaphore.js';
import { BlobTransfers } from '../dist/sync/blob-transfers.js';
import { copyImage } from '../dist/sync/copy-image.js';

export interface FerrySyncReport {
  repositories: number;
  images: number;
  copied: number;
  upToDate: number;
  manifestGets: number;
  bytes: number;
  blobs: { copied: number; mounted: number; existing: number };
  listMs: number;
  wallMs: number;
  /** TCP connections opened (undici diagnostics channel) */
  connections: number;
  errors: string[];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      src: { type: 'string' },
      dst: { type: 'string' },
      'repos-file': { type: 'string' },
      images: { type: 'string', default: '8' },
      lists: { type: 'string', default: '8' },
      'max-concurrency': { type: 'string', default: '8' },
    },
  });
  if (!values.src || !values.dst || !values['repos-file']) throw new Error('usage: ferry-sync --src URL --dst URL --repos-file FILE');
  const repos = readFileSync(values['repos-file'], 'utf8').split('\n').map((s) => s.trim()).filter(Boolean);
  const maxConcurrency = Number(values['max-concurrency']);
  const started = performance.now();
  const src = await connectRegistry(new URL(values.src).host, { endpoint: values.src, maxConcurrency });
  const dst = await connectRegistry(new URL(values.dst).host, { endpoint: values.dst, maxConcurrency });
  const transfers = new BlobTransfers();
  const imageLimit = new Semaphore(Number(values.images));
  const listLimit = new Semaphore(Number(values.lists));
  const report: FerrySyncReport = {
    repositories: repos.length, images: 0, copied: 0, upToDate: 0, manifestGets: 0, bytes: 0,
    blobs: { copied: 0, mounted: 0, existing: 0 }, listMs: 0, wallMs: 0, connections: 0, errors: [],
  };
  subscribe('undici:client:connected', () => void report.connections++);
  let listed = 0;
  try {
    await Promise.all(
      repos.map(async (repository) => {
        const tags = await listLimit.run(() => listTags(src, repository));
        if (++listed === repos.length) report.listMs = performance.now() - started;
        await Promise.all(
          tags.map((tag) =>
            imageLimit.run(async () => {
              try {
                const r = await copyImage(src, { registry: src.registry, repository, tag }, dst, { registry: dst.registry, repository, tag }, { transfers });
                report.images++;
                if (r.action === 'copied') report.copied++;
                else report.upToDate++;
                report.manifestGets += r.manifestGets;
                report.bytes += r.bytes;
                report.blobs.copied += r.blobs.copied;
                report.blobs.mounted += r.blobs.mounted;
                report.blobs.existing += r.blobs.existing;
              } catch (e) {
                report.errors.push(`${repository}:${tag}: ${e instanceof Error ? e.message : String(e)}`);
              }
            }),
          ),
        );
      }),
    );
  } finally {
    await Promise.all([src.close(), dst.close()]);
  }
  report.wallMs = performance.now() - started;
  process.stdout.write(JSON.stringify(report) + '\n');
  if (report.errors.length) process.exitCode = 1;
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack ?? e.message : String(e));
  process.exitCode = 2;
});
