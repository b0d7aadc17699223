import { parseArgs } from 'node:util';
import { parseGoDuration } from '../../config/duration.js';
import { FerryError } from '../../errors.js';
import type { Logger } from '../../log/logger.js';
import { parsePlatform, ALL_PLATFORMS, type PlatformSelection } from '../../oci/platform.js';
import { formatReference, parseReference } from '../../ref/reference.js';
import { MIN_LOW_SPEED_TIME_MS } from '../../registry/transport/low-speed.js';
import { copyImage } from '../../sync/copy-image.js';
import type { CopyEvent } from '../../sync/events.js';
import { SyncEventBus } from '../../sync/run-events.js';
import { RunProjection } from '../../sync/run-projection.js';
import { attachProgress } from '../../progress/progress.js';
import { EXIT } from '../exit-codes.js';
import type { TransferEvents } from '../heap-tuning.js';
import { connectFromFlags, registryFlagOptions, stripDockerTransport } from '../registry-flags.js';

export const COPY_USAGE = `Usage: ferry copy [options] SOURCE-IMAGE DESTINATION-IMAGE

Copies an image between registries, byte for byte (multi-arch indexes included), streaming and
verifying every blob. Images are [docker://]registry[:port]/repository[:tag|@digest].
Registries are reached over HTTPS; plain HTTP only when a loopback or --*-tls-verify=false
registry answers without TLS.

Options:
  --all                        copy every platform of an index (the default)
  --platform OS/ARCH[/VAR],…   copy only these platforms (one: the tag points at that image;
                               several: a rewritten index with a new digest); spelt as in a
                               config's platform:, so linux/x86_64 reads as linux/amd64
  --src-creds USER[:PASS]      credentials for the source (also --screds)
  --dest-creds USER[:PASS]     credentials for the destination (also --dcreds)
  --src-tls-verify=false       do not verify the source's TLS certificate
  --dest-tls-verify=false      do not verify the destination's TLS certificate
  --src-cert-dir DIR           CA (*.crt) and client certificate (*.cert/*.key) for the source
  --dest-cert-dir DIR          the same for the destination
  --src-endpoint URL           reach the source registry at another endpoint (a mirror)
  --dest-endpoint URL          reach the destination registry at another endpoint
  --low-speed-limit BYTES      fail a blob moving slower than BYTES per second (default 1024; 0: no limit)
  --low-speed-time DURATION    the span that rate is averaged over, e.g. 90s (default 60s); a slow
                               blob is retried once, then the copy fails
  --force                      copy even when the destination already holds the image
  --json                       print the result as JSON
  -h, --help                   show this help`;

export async function copyCommand(argv: string[], logger: Logger, out: NodeJS.WritableStream, opts: { heapPhases?: (bus: TransferEvents) => () => void } = {}): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      all: { type: 'boolean', short: 'a' },
      platform: { type: 'string', multiple: true },
      ...registryFlagOptions('src-'),
      ...registryFlagOptions('dest-'),
      screds: { type: 'string' },
      dcreds: { type: 'string' },
      'low-speed-limit': { type: 'string' },
      'low-speed-time': { type: 'string' },
      force: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    out.write(COPY_USAGE + '\n');
    return EXIT.ok;
  }
  if (positionals.length !== 2) throw new FerryError('USAGE', `ferry copy needs exactly two images, got ${positionals.length}\n\n${COPY_USAGE}`);
  const srcRef = parseReference(stripDockerTransport(positionals[0]!));
  const dstRef = parseReference(stripDockerTransport(positionals[1]!), { defaultTag: srcRef.tag ?? null });
  const platforms = platformSelection(values.all ?? false, values.platform ?? [], logger);
  const lowSpeed = lowSpeedFlags(values['low-speed-limit'], values['low-speed-time']);
  const src = await connectFromFlags(srcRef.registry, values, 'src-', logger, values['src-creds'] ?? values.screds, lowSpeed);
  const dst = await connectFromFlags(dstRef.registry, values, 'dest-', logger, values['dest-creds'] ?? values.dcreds, lowSpeed);
  // live progress on a terminal (stderr); nothing when stderr is not a TTY
  const bus = new SyncEventBus({ logger });
  const stopProgress = process.stderr.isTTY ? attachProgress(new RunProjection(bus), process.stderr) : () => {};
  const stopHeapPhases = opts.heapPhases?.(bus);
  const [source, target] = [formatReference(srcRef), formatReference(dstRef)];
  bus.emit({ type: 'image-started', task: 'copy', mapping: 0, source, target });
  try {
    const events = (e: CopyEvent): void => {
      bus.emit({ type: 'copy', task: 'copy', mapping: 0, source, target, event: e });
      if (e.type === 'blob-done') logger.debug({ digest: e.digest, size: e.size, outcome: e.outcome, from: e.from }, 'blob');
      else if (e.type === 'manifest-pushed') logger.debug({ repository: e.repository, reference: e.reference, digest: e.digest }, 'manifest pushed');
    };
    const r = await copyImage(src, srcRef, dst, dstRef, { platforms, events, logger, force: values.force ?? false });
    if (values.json) out.write(JSON.stringify(r) + '\n');
    else {
      const what =
        r.action === 'up-to-date'
          ? 'already up to date'
          : `copied (${r.blobs.copied} blobs copied, ${r.blobs.mounted} mounted, ${r.blobs.existing} already there; ${r.bytes} bytes)`;
      out.write(`${formatReference(dstRef)}: ${what}, digest ${r.targetDigest}\n`);
    }
    return EXIT.ok;
  } finally {
    stopProgress();
    stopHeapPhases?.();
    await Promise.all([src.close(), dst.close()]);
  }
}

/** `--low-speed-limit` (whole bytes per second) and `--low-speed-time` (a Go duration of at least 1s), as in `registries:`. */
export function lowSpeedFlags(limit: string | undefined, time: string | undefined): { lowSpeedLimit?: number; lowSpeedTimeMs?: number } {
  const out: { lowSpeedLimit?: number; lowSpeedTimeMs?: number } = {};
  if (limit !== undefined) {
    if (!/^\d+$/.test(limit.trim())) throw new FerryError('USAGE', `--low-speed-limit takes whole bytes per second, e.g. 1024 for 1 KiB/s or 0 for no limit; got "${limit}"`);
    out.lowSpeedLimit = Number(limit.trim());
  }
  if (time !== undefined) {
    const ns = parseGoDuration(time.trim());
    const bare = /^\d+(\.\d+)?$/.test(time.trim()) ? `; write ${time.trim()}s for seconds` : '';
    if (ns === undefined || ns / 1e6 < MIN_LOW_SPEED_TIME_MS) {
      throw new FerryError('USAGE', `--low-speed-time takes a duration of at least 1s, such as 60s or 2m; got "${time}"${bare}`);
    }
    out.lowSpeedTimeMs = ns / 1e6;
  }
  return out;
}

/**
 * `--all` or `--platform` (repeatable, comma-separated), read as a mapping's `platform:` is: the same spellings,
 * and the same warnings (an architecture alias, an OS alone) on stderr.
 */
export function platformSelection(all: boolean, specs: string[], logger: Logger): PlatformSelection {
  const list = specs.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  if (all && list.length) throw new FerryError('USAGE', '--all and --platform exclude each other');
  if (list.length === 0 || (list.length === 1 && list[0] === 'all')) return ALL_PLATFORMS;
  return { kind: 'some', platforms: list.map((s) => parsePlatform(s, (note) => logger.warn({ platform: s }, `--platform: ${note}`))) };
}
