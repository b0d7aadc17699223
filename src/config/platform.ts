import type { Diagnostics } from './diagnostics.js';
import { isNull, mismatch } from './scalars.js';
import type { Platform, PlatformSelection } from './types.js';
import type { RawNode } from './yaml-tree.js';

/** This host's architecture in OCI terms (what skopeo used for an OS-only platform). */
export const HOST_ARCH = ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[process.arch] ?? process.arch;

const PLATFORM = /^([a-z0-9]+)\/([a-z0-9_]+)(?:\/([a-z0-9.]+))?$/;
const ARCH_ALIASES: Record<string, string> = {
  x86_64: 'amd64',
  'x86-64': 'amd64',
  x64: 'amd64',
  aarch64: 'arm64',
  armhf: 'arm/v7',
  armv7: 'arm/v7',
  armv7l: 'arm/v7',
  armv6: 'arm/v6',
  armel: 'arm/v6',
  i686: '386',
  i386: '386',
  x86: '386',
};

/**
 * Parses one platform string: `os/arch[/variant]` (lower case, as in OCI image indexes). Returns the platform or
 * a message saying what to write instead.
 */
export function parsePlatform(text: string): (Platform & { hostArch?: true }) | string {
  const t = text.trim();
  const m = PLATFORM.exec(t);
  if (m) {
    const [, os = '', architecture = '', variant] = m;
    const alias = ARCH_ALIASES[architecture];
    if (alias) return `"${t}" uses "${architecture}", which OCI calls "${alias}": write ${os}/${alias}${variant ? `/${variant}` : ''}`;
    return variant === undefined ? { os, architecture, text: t } : { os, architecture, variant, text: t };
  }
  if (PLATFORM.test(t.toLowerCase())) return `platform "${t}" must be lower case: write ${t.toLowerCase()}`;
  if (/^[a-z0-9]+$/.test(t)) {
    // dregsy passed an OS alone to skopeo, which used the host's architecture: keep that meaning (with a warning).
    return { os: t, architecture: HOST_ARCH, text: `${t}/${HOST_ARCH}`, hostArch: true };
  }
  return `invalid platform "${t}": write os/arch[/variant] such as linux/amd64 or linux/arm/v7, a list of them, or all`;
}

/**
 * A mapping's `platform:` — omitted or empty means `all` (ferry difference #1: dregsy copied only the host's
 * platform); `all`; `os/arch[/variant]`; a comma-separated string or a YAML list of those.
 */
export function readPlatform(d: Diagnostics, n: RawNode | undefined, path: string): PlatformSelection {
  if (n === undefined || isNull(n)) return 'all';
  let items: Array<{ text: string; line: number; path: string }>;
  if (n.kind === 'scalar') {
    if (n.text.trim() === 'all' || n.text.trim() === '') return 'all';
    const parts = n.text.split(',');
    items = parts.map((text) => ({ text, line: n.line, path }));
    if (parts.length === 1) {
      const p = parsePlatform(n.text);
      if (typeof p === 'string') {
        d.error(n.line, path, p, 'platform');
        return 'all';
      }
      warnHostArch(d, n.line, path, p);
      return strip(p);
    }
  } else if (n.kind === 'seq') {
    items = [];
    for (const [i, item] of n.items.entries()) {
      if (item.kind !== 'scalar' || isNull(item)) mismatch(d, item, `${path}[${i}]`, 'string');
      else items.push({ text: item.text, line: item.line, path: `${path}[${i}]` });
    }
    if (n.items.length === 0) {
      d.error(n.line, path, 'the platform list is empty: list platforms, or omit platform to copy all of them', 'platform');
      return 'all';
    }
  } else {
    mismatch(d, n, path, 'string', 'write all, os/arch[/variant], or a list of them');
    return 'all';
  }
  const out: Platform[] = [];
  for (const it of items) {
    if (it.text.trim() === 'all') {
      d.error(it.line, it.path, '"all" cannot be combined with other platforms: write all alone, or list the platforms', 'platform');
      continue;
    }
    const p = parsePlatform(it.text);
    if (typeof p === 'string') d.error(it.line, it.path, p, 'platform');
    else if (out.some((o) => o.text === p.text)) d.warn(it.line, it.path, `platform ${p.text} is listed twice`, 'platform');
    else {
      warnHostArch(d, it.line, it.path, p);
      out.push(strip(p));
    }
  }
  return out;
}

function warnHostArch(d: Diagnostics, line: number, path: string, p: Platform & { hostArch?: true }): void {
  if (p.hostArch) {
    d.warn(line, path, `platform "${p.os}" names no architecture: like dregsy, ferry uses this host's (${p.text}); write it out to be independent of the host`, 'platform');
  }
}

function strip(p: Platform & { hostArch?: true }): Platform {
  const { hostArch: _ignored, ...rest } = p;
  return rest;
}
