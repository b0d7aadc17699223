/**
 * ferry as a library: copy images between registries with the same engine the daemon uses, and subscribe to
 * its typed decision and progress events.
 *
 *   const src = await connectRegistry('docker.io', { credentials: staticCredentials({ username, password }) });
 *   const dst = await connectRegistry('harbor.example.com', { certsDir: '/etc/docker/certs.d' });
 *   const r = await copyImage(src, parseReference('redis:7'), dst, parseReference('harbor.example.com/mirror/redis:7'), {
 *     events: (e) => { if (e.type === 'blob-done') console.log(e.digest, e.outcome); },
 *   });
 */
export { FerryError, isFerryError, codeForHttpStatus, type ErrorCode, type ErrorContext } from './errors.js';
export { parseReference, formatReference, withTag, withDigest, repoRef, type ImageRef } from './ref/reference.js';
export { isDigest, digestOf, type Digest } from './ref/digest.js';
export { parsePlatform, formatPlatform, ALL_PLATFORMS, type Platform, type PlatformSelection } from './oci/platform.js';
export type { Manifest, Descriptor } from './oci/manifest.js';
export { connectRegistry, type RegistryOptions, type ConnectDeps } from './registry/connect.js';
export { SchemeMemory, type Scheme } from './registry/transport/scheme.js';
export type { TlsAdvice } from './registry/transport/tls-errors.js';
export { RegistryClient, type Exchange, type RegistryClientOptions } from './registry/client.js';
export { staticCredentials, anonymous, type Credentials, type CredentialSource } from './registry/auth/credentials.js';
export { headManifest, getManifest, putManifest } from './registry/manifests.js';
export type { AccessScope, BlobRef, ManifestRef } from './registry/refs.js';
export { listTags, listCatalog } from './registry/listing.js';
export { PullBudget } from './registry/budget/index.js';
export { copyImage, memoryMemo, type CopyImageOptions, type CopyImageResult, type DigestMemo, type Known, type KnownSource, type KnownTarget } from './sync/copy-image.js';
export { BlobTransfers } from './sync/blob-transfers.js';
export type { CopyEvent, CopyEventListener, BlobOutcome } from './sync/events.js';
export { SyncEventBus, type SyncEvent, type ImageReport, type TaskRunSummary } from './sync/run-events.js';
export { RunProjection, reduceRun, projectRun } from './sync/run-projection.js';
export type { RunState } from './sync/run-state.js';
export type { BudgetEvent, BudgetSnapshot } from './registry/budget/budget-state.js';
export { loadConfig, type LoadedConfig } from './config/index.js';
export type { FerryConfig, TaskConfig } from './config/types.js';
export { compileTagFilter } from './filter/tag-filter.js';
export type { Logger } from './log/logger.js';
export { systemClock, type Clock } from './clock.js';
