import { FerryError } from '../errors.js';
import type { Descriptor } from './manifest.js';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** Parses `os/arch[/variant]`. */
export function parsePlatform(s: string): Platform {
  const parts = s.trim().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9._-]+$/i.test(p))) {
    throw new FerryError('USAGE', `invalid platform "${s}": expected os/arch or os/arch/variant, e.g. linux/amd64 or linux/arm64/v8`);
  }
  const [os, architecture, variant] = parts as [string, string, string | undefined];
  return variant ? { os, architecture, variant } : { os, architecture };
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
