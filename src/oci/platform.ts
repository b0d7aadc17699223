import { FerryError } from '../errors.js';
import type { Descriptor } from './manifest.js';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** This host's architecture in OCI terms (what skopeo used for an OS-only platform). */
export const HOST_ARCH = ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[process.arch] ?? process.arch;

const PLATFORM = /^([a-z0-9]+)\/([a-z0-9_-]+)(?:\/([a-z0-9.]+))?$/;

/** What uname, Debian and others call OCI's architectures (Docker's platform parser reads them the same way). */
const ARCH_ALIASES: Record<string, { architecture: string; variant?: string }> = {
  x86_64: { architecture: 'amd64' },
  'x86-64': { architecture: 'amd64' },
  x64: { architecture: 'amd64' },
  aarch64: { architecture: 'arm64' },
  armhf: { architecture: 'arm', variant: 'v7' },
  armv7: { architecture: 'arm', variant: 'v7' },
  armv7l: { architecture: 'arm', variant: 'v7' },
  armv6: { architecture: 'arm', variant: 'v6' },
  armel: { architecture: 'arm', variant: 'v6' },
  i686: { architecture: '386' },
  i386: { architecture: '386' },
  x86: { architecture: '386' },
};

const SPELLING = 'write os/arch[/variant] such as linux/amd64 or linux/arm/v7, a list of them, or all';

/**
 * Reads one platform, as a mapping's `platform:` and `ferry copy --platform` both write it: `os/arch[/variant]` in
 * OCI's lower-case names. Another name for an architecture (`x86_64`, `aarch64`, `armhf`, …) reads as OCI's, and
 * an OS alone means this host's architecture, as skopeo did for dregsy; `note` hears of either, to warn the user.
 * Throws USAGE saying what to write instead.
 */
export function parsePlatform(text: string, note?: (message: string) => void): Platform {
  const t = text.trim();
  const m = PLATFORM.exec(t);
  if (m) {
    const [, os = '', arch = '', variant] = m;
    const alias = ARCH_ALIASES[arch];
    if (!alias) return variant === undefined ? { os, architecture: arch } : { os, architecture: arch, variant };
    if (alias.variant && variant && variant !== alias.variant) {
      throw new FerryError('USAGE', `platform "${t}" is contradictory: "${arch}" means ${alias.architecture}/${alias.variant}; write ${os}/${alias.architecture}/${variant} or ${os}/${alias.architecture}/${alias.variant}`);
    }
    const p: Platform = { os, architecture: alias.architecture, ...((alias.variant ?? variant) ? { variant: alias.variant ?? variant } : {}) };
    const oci = alias.variant ? `${alias.architecture}/${alias.variant}` : alias.architecture;
    note?.(`platform "${t}" uses "${arch}", which OCI calls "${oci}": ferry reads it as ${formatPlatform(p)}; write that to silence this warning`);
    return p;
  }
  if (t === 'all') throw new FerryError('USAGE', '"all" cannot be combined with other platforms: write all alone, or list the platforms');
  if (PLATFORM.test(t.toLowerCase())) throw new FerryError('USAGE', `platform "${t}" must be lower case: write ${t.toLowerCase()}`);
  if (/^[a-z0-9]+$/.test(t)) {
    // dregsy passed an OS alone to skopeo, which used the host's architecture: keep that meaning (with a warning).
    const p = { os: t, architecture: HOST_ARCH };
    note?.(`platform "${t}" names no architecture: like dregsy, ferry uses this host's (${formatPlatform(p)}); write it out to be independent of the host`);
    return p;
  }
  throw new FerryError('USAGE', `invalid platform "${t}": ${SPELLING}`);
}

export function formatPlatform(p: Platform): string {
  return p.variant ? `${p.os}/${p.architecture}/${p.variant}` : `${p.os}/${p.architecture}`;
}

/** Default variants as containerd normalises them: arm64 → v8, arm → v7. */
function normVariant(arch: string, variant: string | undefined): string | undefined {
  if (variant) return variant;
  if (arch === 'arm64') return 'v8';
  if (arch === 'arm') return 'v7';
  return undefined;
}

export function matchesPlatform(desc: Descriptor, want: Platform): boolean {
  const p = desc.platform;
  if (!p) return false;
  if (p.os !== want.os || p.architecture !== want.architecture) return false;
  if (want.variant === undefined) return true;
  return normVariant(p.architecture, p.variant) === normVariant(want.architecture, want.variant);
}

/** Which platforms to copy: every one (the index byte for byte), or a selection. */
export type PlatformSelection = { kind: 'all' } | { kind: 'some'; platforms: Platform[] };

export const ALL_PLATFORMS: PlatformSelection = { kind: 'all' };

export function describeSelection(sel: PlatformSelection): string {
  return sel.kind === 'all' ? 'all' : sel.platforms.map(formatPlatform).join(',');
}
