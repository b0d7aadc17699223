/**
 * Child process for the kill -9 test: copies a set of images with ferry's engine, two at a time, and prints
 * "ready" once connected (with argv[3] = "wait", then waits for "go" on stdin). argv[2] is JSON: { src: {host, url}, dst: {host, url}, images: [{repo, tag}] }.
 */
import { connectRegistry } from '../../src/registry/connect.js';
import { parseReference } from '../../src/ref/reference.js';
import { BlobTransfers } from '../../src/sync/blob-transfers.js';
import { copyImage } from '../../src/sync/copy-image.js';

interface Args {
  src: { host: string; url: string };
  dst: { host: string; url: string };
  images: { repo: string; tag: string }[];
}

const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const backoff = { attempts: 4, baseMs: 20, maxMs: 200 };
const src = await connectRegistry(args.src.host, { endpoint: args.src.url }, { backoff });
const dst = await connectRegistry(args.dst.host, { endpoint: args.dst.url }, { backoff });
const transfers = new BlobTransfers();
const queue = [...args.images];
process.stdout.write('ready\n');
// Spawned ahead of time (module loading is slow), the child waits for "go" on stdin before copying.
if (process.argv[3] === 'wait') {
  await new Promise<void>((resolve) => process.stdin.on('data', (d: Buffer) => d.toString().includes('go') && resolve()));
  process.stdin.pause();
  process.stdin.unref?.();
}
process.stdout.write('copying\n');
const worker = async (): Promise<void> => {
  for (let i = queue.shift(); i; i = queue.shift()) {
    await copyImage(src, parseReference(`${args.src.host}/${i.repo}:${i.tag}`), dst, parseReference(`${args.dst.host}/${i.repo}:${i.tag}`), { transfers });
  }
};
await Promise.all([worker(), worker()]);
await Promise.all([src.close(), dst.close()]);
process.stdout.write('done\n');
