/**
 * Child process for the kill -9 test. Prints "ready" once loaded, then runs jobs read from stdin, one JSON line
 * each: { id, src: {host, url}, dst: {host, url}, images: [{ from, to, tag }] }. A job copies its images with
 * ferry's engine, two at a time, through fresh clients (nothing learnt in one job changes the requests of the
 * next), and prints "done <id>". An error is printed on stderr and ends the process with exit code 1.
 */
import { createInterface } from 'node:readline';
import { connectRegistry } from '../../src/registry/connect.js';
import { parseReference } from '../../src/ref/reference.js';
import { BlobTransfers } from '../../src/sync/blob-transfers.js';
import { copyImage } from '../../src/sync/copy-image.js';

interface Job {
  id: string;
  src: { host: string; url: string };
  dst: { host: string; url: string };
  images: { from: string; to: string; tag: string }[];
}

const backoff = { attempts: 4, baseMs: 20, maxMs: 200 };

async function run(job: Job): Promise<void> {
  const src = await connectRegistry(job.src.host, { endpoint: job.src.url }, { backoff });
  const dst = await connectRegistry(job.dst.host, { endpoint: job.dst.url }, { backoff });
  const transfers = new BlobTransfers();
  const queue = [...job.images];
  const worker = async (): Promise<void> => {
    for (let i = queue.shift(); i; i = queue.shift()) {
      await copyImage(src, parseReference(`${job.src.host}/${i.from}:${i.tag}`), dst, parseReference(`${job.dst.host}/${i.to}:${i.tag}`), { transfers });
    }
  };
  await Promise.all([worker(), worker()]);
  await Promise.all([src.close(), dst.close()]);
}

process.stdout.write('ready\n');
for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  const job = JSON.parse(line) as Job;
  try {
    await run(job);
  } catch (e) {
    process.stderr.write(`job ${job.id}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  }
  process.stdout.write(`done ${job.id}\n`);
}
