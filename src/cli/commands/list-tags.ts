import { parseArgs } from 'node:util';
import { FerryError } from '../../errors.js';
import { tagFilterFromSpecs, type TagFilter } from '../../filter/tag-filter.js';
import { parseTagSpec, tagSpecWarning, TagSpecError, type TagSpec } from '../../filter/tag-spec.js';
import type { Logger } from '../../log/logger.js';
import { parseReference, type ImageRef } from '../../ref/reference.js';
import type { RegistryClient } from '../../registry/client.js';
import { listTags } from '../../registry/listing.js';
import { headManifest } from '../../registry/manifests.js';
import { filteredOut, refKey, sourceReference } from '../../sync/plan.js';
import { EXIT } from '../exit-codes.js';
import { formatTagListing, type TagListing } from '../list-tags-output.js';
import { connectFromFlags, registryFlagOptions, stripDockerTransport } from '../registry-flags.js';

export const LIST_TAGS_USAGE = `Usage: ferry list-tags [options] [docker://]REGISTRY/REPOSITORY

Lists the tags of a repository, one per line, or as skopeo's JSON with --json ({"Repository", "Tags"}).
A name without a registry is Docker Hub's: redis is docker.io/library/redis.

Options:
  --tags ENTRY                 a mapping's tags: entry (repeatable): 'semver: >=1.0.0', 'regex: ^v1\\.',
                               'keep: ^[0-9.]+$', 'keep: latest 5', plain tags, digests; shows what a sync
                               would select, and why each other tag is filtered out
  --digests                    each tag's manifest digest (HEAD requests only: no Docker Hub pull is spent;
                               with --tags, the selected ones only)
  --creds USER[:PASS]          credentials for the registry
  --tls-verify=false           do not verify the registry's TLS certificate
  --cert-dir DIR               CA (*.crt) and client certificate (*.cert/*.key) for the registry
  --endpoint URL               reach the registry at another endpoint (a mirror)
  --json                       print JSON: skopeo's shape, plus "Selected", "Filtered" and "Missing" with
                               --tags and "Digests" with --digests
  -h, --help                   show this help

Exit codes: 0 listed; 1 the registry or the repository failed (not found, denied, TLS, …) or the reference is
invalid; 2 usage.`;

/** HEAD requests in flight at once for --digests. */
const HEAD_CONCURRENCY = 8;

/** `ferry list-tags`: a repository's tags, optionally through a mapping's tag filter and with their digests. */
export async function listTagsCommand(argv: string[], logger: Logger, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...registryFlagOptions(''),
      tags: { type: 'string', multiple: true },
      digests: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    out.write(LIST_TAGS_USAGE + '\n');
    return EXIT.ok;
  }
  if (positionals.length !== 1) throw new FerryError('USAGE', `ferry list-tags needs exactly one repository, got ${positionals.length}\n\n${LIST_TAGS_USAGE}`);
  const repo = repositoryArg(positionals[0]!);
  const filter = values.tags ? compileTagsFlag(values.tags, err) : undefined;
  const client = await connectFromFlags(repo.registry, values, '', logger);
  try {
    const listing = await gather(client, repo, filter, values.digests ?? false).catch((e: unknown) => {
      throw explain(e, repo);
    });
    out.write(formatTagListing(listing, values.json ? 'json' : 'text'));
    return EXIT.ok;
  } finally {
    await client.close();
  }
}

/** The repository argument: a reference without tag or digest (skopeo refuses those too). */
function repositoryArg(arg: string): ImageRef {
  const ref = parseReference(stripDockerTransport(arg), { defaultTag: null });
  if (ref.tag !== undefined || ref.digest !== undefined) {
    const what = ref.digest !== undefined ? `@${ref.digest}` : `:${ref.tag}`;
    throw new FerryError(
      'REFERENCE_INVALID',
      `"${arg}" names an image, not a repository: list-tags takes REGISTRY/REPOSITORY without "${what}" (to select tags, use --tags)`,
      { registry: ref.registry, repository: ref.repository },
    );
  }
  return ref;
}

/** The registry's answers a user of this command meets most, said in its terms (its flags, a repository). */
function explain(e: unknown, repo: ImageRef): unknown {
  if (!(e instanceof FerryError)) return e;
  if (e.code === 'NOT_FOUND' && e.context.reference === undefined && e.context.repository !== undefined) {
    return new FerryError('NOT_FOUND', `repository ${repo.repository} not found on registry ${repo.registry}: check its name (the registry said: ${e.message})`, e.context, { cause: e });
  }
  return e;
}

/** `--tags` entries, parsed and combined exactly as a mapping's `tags:` list; warnings go to stderr. */
function compileTagsFlag(entries: string[], err: NodeJS.WritableStream): TagFilter {
  const specs = entries.map((entry): TagSpec => {
    try {
      const spec = parseTagSpec(entry);
      const warning = tagSpecWarning(spec);
      if (warning) err.write(`ferry list-tags: warning: --tags '${entry}': ${warning}\n`);
      return spec;
    } catch (e) {
      if (!(e instanceof TagSpecError)) throw e;
      throw new FerryError('USAGE', `--tags '${entry}' uses invalid format: ${e.message}`);
    }
  });
  return tagFilterFromSpecs(specs);
}

async function gather(client: RegistryClient, repo: ImageRef, filter: TagFilter | undefined, digests: boolean): Promise<TagListing> {
  const tags = await listTags(client, repo.repository);
  const listing: TagListing = { repository: `${repo.registry}/${repo.repository}`, tags };
  if (!filter) {
    if (digests) listing.digests = await headDigests(client, repo.repository, tags.map((t) => ({ key: t, reference: t })));
    return listing;
  }
  const listed = new Set(tags);
  const selection = filter.apply(tags);
  const refs = selection.refs;
  // a selected plain tag is checked against the listing; a digest pin only by a HEAD (cheap, and always asked)
  const asked = refs.filter((r) => digests || r.kind === 'digest').map((r) => ({ key: refKey(r), reference: sourceReference(r) }));
  const heads = await headDigests(client, repo.repository, asked);
  const missing = refs.map(refKey).filter((k) => (heads.has(k) ? heads.get(k) === null : !listed.has(k)));
  listing.selection = {
    selected: refs.map(refKey),
    filtered: filteredOut(filter, tags, new Set(selection.tags)).map((f) => ({ tag: f.tag, reason: f.reason })),
    missing,
  };
  if (digests) listing.digests = heads;
  return listing;
}

/**
 * Each reference's manifest digest from a HEAD (with the manifest Accept headers a pull sends), a few at a time;
 * null when the registry has no such manifest, undefined when it answered without a digest.
 */
async function headDigests(client: RegistryClient, repository: string, refs: Array<{ key: string; reference: string }>): Promise<Map<string, string | null | undefined>> {
  const out = new Map<string, string | null | undefined>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < refs.length) {
      const { key, reference } = refs[next++]!;
      const head = await headManifest(client, { repository, reference }, 'pull');
      out.set(key, head === undefined ? null : head.digest);
    }
  };
  await Promise.all(Array.from({ length: Math.min(HEAD_CONCURRENCY, refs.length) }, worker));
  // in the order asked, whatever order the answers came in
  return new Map(refs.map((r) => [r.key, out.get(r.key)]));
}
