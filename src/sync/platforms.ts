import type { PlatformSelection as ConfigPlatforms } from '../config/types.js';
import { ALL_PLATFORMS, type PlatformSelection } from '../oci/platform.js';

/** A mapping's `platform:` (config form) as the engine's selection: `all` copies the index byte for byte. */
export function enginePlatforms(p: ConfigPlatforms): PlatformSelection {
  if (p === 'all') return ALL_PLATFORMS;
  const list = Array.isArray(p) ? (p as readonly ConfigPlatformItem[]) : [p as ConfigPlatformItem];
  return {
    kind: 'some',
    platforms: list.map((x) => (x.variant ? { os: x.os, architecture: x.architecture, variant: x.variant } : { os: x.os, architecture: x.architecture })),
  };
}

type ConfigPlatformItem = Exclude<ConfigPlatforms, 'all' | readonly unknown[]>;
