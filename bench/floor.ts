/**
 * Physical floors, with no registry logic, each in a process of its own like ferry (so neither shares an event
 * loop with the orchestrator). `wallMs` is timed inside the process, from the first request to the last answer:
 * the floor's start-up is not counted, while ferry's wall time includes its own (~0.4 s), which makes the floor
 * the stricter yardstick.
 *
 *   transfer --src URL --dst URL --blobs-file FILE [--concurrency 8]
 *     every line "repository digest size": GET the blob from the source and stream it into the target with
 *     POST (start upload) + one monolithic PUT ?digest= — no HEADs, no mounts, no manifests, no verification.
 *   head --src URL --dst URL --refs-file FILE [--concurrency 8]
 *     every line "repository tag": HEAD the manifest on the source and on the target (the two requests ferry
 *     needs per tag when everything is in sync).
 *
 * Prints one JSON line: { wallMs, requests, bytes }.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { MANIFEST_ACCEPT } from '../dist/oci/media-types.js';

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

async function main(): Promise<void> {
  const mode = process.argv[2];
  const { values } = parseArgs({
    args: process.argv.slice(3),
    options: {
      src: { type: 'string' },
      dst: { type: 'string' },
      'blobs-file': { type: 'string' },
      'refs-file': { type: 'string' },
      concurrency: { type: 'string', default: '8' },
    },
  });
  const src = values.src!;
  const dst = values.dst!;
  const concurrency = Number(values.concurrency);
  const dispatcher = new Agent({ connections: concurrency * 2, keepAliveTimeout: 10_000 });
  let requests = 0;
  let bytes = 0;
  const started = performance.now();
  if (mode === 'transfer') {
    const blobs = readFileSync(values['blobs-file']!, 'utf8').split('\n').filter(Boolean).map((l) => {
      const [repository, digest, size] = l.split(' ');
      return { repository: repository!, digest: digest!, size: Number(size) };
    });
    await pool(blobs, concurrency, async (b) => {
      const get = await request(`${src}/v2/${b.repository}/blobs/${b.digest}`, { dispatcher });
      if (get.statusCode !== 200) throw new Error(`GET ${b.digest}: ${get.statusCode}`);
      const post = await request(`${dst}/v2/${b.repository}/blobs/uploads/`, { method: 'POST', headers: { 'content-length': '0' }, dispatcher });
      await post.body.dump();
      if (post.statusCode !== 202) throw new Error(`POST upload: ${post.statusCode}`);
      const loc = new URL(String(post.headers.location), dst);
      loc.searchParams.set('digest', b.digest);
      const put = await request(loc.href, {
        method: 'PUT',
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(b.size) },
        body: get.body,
        dispatcher,
      });
      await put.body.dump();
      if (put.statusCode !== 201) throw new Error(`PUT ${b.digest}: ${put.statusCode}`);
      requests += 3;
      bytes += b.size;
    });
  } else if (mode === 'head') {
    const refs = readFileSync(values['refs-file']!, 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ') as [string, string]);
    const heads = refs.flatMap(([repository, tag]) => [`${src}/v2/${repository}/manifests/${tag}`, `${dst}/v2/${repository}/manifests/${tag}`]);
    await pool(heads, concurrency, async (url) => {
      // reset: false keeps the connection (undici closes it after every HEAD by default, undici issue #258)
      const res = await request(url, { method: 'HEAD', headers: { accept: MANIFEST_ACCEPT }, dispatcher, reset: false });
      await res.body.dump();
      if (res.statusCode !== 200) throw new Error(`HEAD ${url}: ${res.statusCode}`);
      requests++;
    });
  } else {
    throw new Error('usage: floor transfer|head …');
  }
  const wallMs = performance.now() - started;
  await dispatcher.close();
  process.stdout.write(JSON.stringify({ wallMs, requests, bytes }) + '\n');
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack ?? e.message : String(e));
  process.exitCode = 2;
});
