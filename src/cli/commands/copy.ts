import { parseArgs } from 'node:util';
import { FerryError } from '../../errors.js';
import type { Logger } from '../../log/logger.js';
import { parsePlatform, ALL_PLATFORMS, type PlatformSelection } from '../../oci/platform.js';
import { formatReference, parseReference } from '../../ref/reference.js';
import { parseCredsFlag, staticCredentials } from '../../registry/auth/credentials.js';
import { connectRegistry } from '../../registry/connect.js';
import { copyImage } from '../../sync/copy-image.js';
import type { CopyEvent } from '../../sync/events.js';
import { SyncEventBus } from '../../sync/run-events.js';
import { attachProgress } from '../../progress/progress.js';
import { EXIT } from '../exit-codes.js';
import type { TransferEvents } from '../heap-tuning.js';

export const COPY_USAGE = `Usage: ferry copy [options] SOURCE-IMAGE DESTINATION-IMAGE

Copies an image between registries, byte for byte (multi-arch indexes included), streaming and
verifying every blob. Images are [docker://]registry[:port]/repository[:tag|@digest].

Options:
  --all                        copy every platform of an index (the default)
  --platform OS/ARCH[/VAR],…   copy only these platforms (one: the tag points at that image;
                               several: a rewritten index with a new digest)
  --src-creds USER[:PASS]      credentials for the source (also --screds)
  --dest-creds USER[:PASS]     credentials for the destination (also --dcreds)
  --src-tls-verify=false       do not verify the source's TLS certificate
  --dest-tls-verify=false      do not verify the destination's TLS certificate
  --src-cert-dir DIR           CA (*.crt) and client certificate (*.cert/*.key) for the source
  --dest-cert-dir DIR          the same for the destination
  --src-endpoint URL           reach the source registry at another endpoint (a mirror)
  --dest-endpoint URL          reach the destination registry at another endpoint
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
      'src-creds': { type: 'string' },
      screds: { type: 'string' },
      'dest-creds': { type: 'string' },
      dcreds: { type: 'string' },
      'src-tls-verify': { type: 'string' },
      'dest-tls-verify': { type: 'string' },
      'src-cert-dir': { type: 'string' },
      'dest-cert-dir': { type: 'string' },
      'src-endpoint': { type: 'string' },
      'dest-endpoint': { type: 'string' },
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
  const strip = (s: string): string => s.replace(/^docker:\/\//, '');
  const srcRef = parseReference(strip(positionals[0]!));
  const dstRef = parseReference(strip(positionals[1]!), { defaultTag: srcRef.tag ?? null });
  const platforms = platformSelection(values.all ?? false, values.platform ?? []);
  for (const side of ['src', 'dest'] as const) {
    const endpoint = values[`${side}-endpoint`];
    if (endpoint !== undefined && /^[^/?#]*\/\/[^/?#]*@/.test(endpoint)) {
      // the password must not reach a message or a log: say what is wrong without repeating the value
      throw new FerryError('USAGE', `--${side}-endpoint: userinfo (user:password@) is not allowed in an endpoint; give the credentials with --${side}-creds USER[:PASS]`);
    }
  }
  const connect = (side: 'src' | 'dest', registry: string, creds: string | undefined) =>
    connectRegistry(
      registry,
      {
        tlsVerify: tlsFlag(values[`${side}-tls-verify`], `--${side}-tls-verify`),
        certDir: values[`${side}-cert-dir`],
        endpoint: values[`${side}-endpoint`],
        credentials: creds !== undefined ? staticCredentials(parseCredsFlag(creds)) : undefined,
      },
      { logger },
    );
  const src = await connect('src', srcRef.registry, values['src-creds'] ?? values.screds);
  const dst = await connect('dest', dstRef.registry, values['dest-creds'] ?? values.dcreds);
  // live progress on a terminal (stderr); nothing when stderr is not a TTY
  const bus = new SyncEventBus();
  const stopProgress = attachProgress(bus, process.stderr);
  const stopHeapPhases = opts.heapPhases?.(bus);
  const [source, target] = [formatReference(srcRef), formatReference(dstRef)];
  bus.emit({ type: 'image-started', task: 'copy', source, target });
  try {
    const events = (e: CopyEvent): void => {
      bus.emit({ type: 'copy', task: 'copy', source, target, event: e });
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

function tlsFlag(v: string | undefined, name: string): boolean | undefined {
  if (v === undefined) return undefined;
  if (/^(true|1|yes)$/i.test(v)) return true;
  if (/^(false|0|no)$/i.test(v)) return false;
  throw new FerryError('USAGE', `${name} takes true or false, got "${v}"`);
}

export function platformSelection(all: boolean, specs: string[]): PlatformSelection {
  const list = specs.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  if (all && list.length) throw new FerryError('USAGE', '--all and --platform exclude each other');
  if (list.length === 0 || (list.length === 1 && list[0] === 'all')) return ALL_PLATFORMS;
  return { kind: 'some', platforms: list.map(parsePlatform) };
}
