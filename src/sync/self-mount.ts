/**
 * Whether a target repository holds a blob, asked the cheapest way the target answers reliably. Where a blob mount
 * from the repository itself is proven to work (the session's profile says so), that mount is the question: one
 * request that answers and opens the upload, 201 when the repository holds the blob, 202 with the session the copy
 * uploads into (instead of a HEAD and a POST). Elsewhere the question is a HEAD.
 */
import type { Descriptor } from '../oci/manifest.js';
import { isRefusal, statusOf } from '../errors.js';
import { headBlob, mountBlob } from '../registry/blobs.js';
import type { RegistryClient } from '../registry/client.js';
import type { RetryBudget } from '../registry/retry-budget.js';
import { cancelUpload, type UploadSession } from '../registry/uploads.js';

/** Where the question goes: the target session and repository, within the blob copy's retry budget. */
export interface TargetRepository {
  dst: RegistryClient;
  dstRepo: string;
  budget: RetryBudget;
  signal?: AbortSignal;
}

/**
 * 'exists' when the repository holds the blob; otherwise the upload session a self-mount opened (when it was
 * asked that way), or undefined. A registry that answers the self-mount with a 4xx other than 401 or 429 is asked
 * with HEADs from then on.
 */
export async function probeRepository(t: TargetRepository, desc: Descriptor): Promise<'exists' | UploadSession | undefined> {
  const profile = t.dst.profile;
  if (profile.selfMount === 'works') {
    try {
      const r = await mountBlob(t.dst, { repository: t.dstRepo, digest: desc.digest }, t.dstRepo, { signal: t.signal, budget: t.budget.forRequest() });
      return r.mounted ? 'exists' : r;
    } catch (e) {
      if (t.signal?.aborted || !isRefusal(e)) throw e;
      profile.selfMount = 'no';
      t.dst.logger.info({ registry: t.dst.registry, repository: t.dstRepo, digest: desc.digest, status: statusOf(e) }, 'registry refused a blob mount from the repository itself; checking blobs with HEAD instead');
    }
  }
  return (await headSaysHeld(t, desc)) ? 'exists' : undefined;
}

export async function headSaysHeld(t: TargetRepository, desc: Descriptor): Promise<boolean> {
  return (await headBlob(t.dst, { repository: t.dstRepo, digest: desc.digest }, 'push', { signal: t.signal, budget: t.budget.forRequest() })) !== undefined;
}

/**
 * The first time a blob is known to be in a repository of the target (before the run records it there), ask
 * for it with a mount from that repository: only a 201 here shows that this mount answers the question
 * probeRepository asks. A registry that does not mount answers 202 to everything, and one could mount across
 * repositories yet not from a repository into itself; either way it gets HEADs. A failure to ask (network,
 * 5xx, auth) leaves it unproven, for the next blob.
 */
export async function proveSelfMount(t: TargetRepository, desc: Descriptor): Promise<void> {
  const profile = t.dst.profile;
  if (profile.selfMount !== undefined || t.signal?.aborted) return;
  profile.selfMount = 'proving';
  try {
    const r = await mountBlob(t.dst, { repository: t.dstRepo, digest: desc.digest }, t.dstRepo, { signal: t.signal, budget: t.budget.forRequest() });
    if (r.mounted) return void (profile.selfMount = 'works');
    profile.selfMount = 'no';
    await cancelUpload(t.dst, t.dstRepo, r.location);
  } catch (e) {
    profile.selfMount = isRefusal(e) ? 'no' : undefined;
  }
  if (profile.selfMount === 'no') {
    t.dst.logger.debug({ registry: t.dst.registry, repository: t.dstRepo, digest: desc.digest }, 'a blob mount from the repository itself does not answer whether it holds a blob here; checking blobs with HEAD');
  }
}
