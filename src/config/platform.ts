import { isFerryError } from '../errors.js';
import { ALL_PLATFORMS, formatPlatform, parsePlatform, type Platform, type PlatformSelection } from '../oci/platform.js';
import type { Diagnostics } from './diagnostics.js';
import { isNull, mismatch } from './scalars.js';
import type { RawNode } from './yaml-tree.js';

/**
 * A mapping's `platform:` — omitted or empty means `all` (ferry difference #1: dregsy copied only the host's
 * platform); `all`; `os/arch[/variant]`; a comma-separated string or a YAML list of those. Each platform is read by
 * the engine's `parsePlatform` (as `ferry copy --platform` is); its complaints get this file's line and key.
 */
export function readPlatform(d: Diagnostics, n: RawNode | undefined, path: string): PlatformSelection {
  if (n === undefined || isNull(n)) return ALL_PLATFORMS;
  let items: Array<{ text: string; line: number; path: string }>;
  if (n.kind === 'scalar') {
    if (n.text.trim() === 'all' || n.text.trim() === '') return ALL_PLATFORMS;
    items = n.text.split(',').map((text) => ({ text, line: n.line, path }));
  } else if (n.kind === 'seq') {
    items = [];
    for (const [i, item] of n.items.entries()) {
      if (item.kind !== 'scalar' || isNull(item)) mismatch(d, item, `${path}[${i}]`, 'string');
      else items.push({ text: item.text, line: item.line, path: `${path}[${i}]` });
    }
    if (n.items.length === 0) {
      d.error(n.line, path, 'the platform list is empty: list platforms, or omit platform to copy all of them', 'platform');
      return ALL_PLATFORMS;
    }
  } else {
    mismatch(d, n, path, 'string', 'write all, os/arch[/variant], or a list of them');
    return ALL_PLATFORMS;
  }
  const out: Platform[] = [];
  for (const it of items) {
    const p = readOne(d, it);
    if (!p) continue;
    if (out.some((o) => formatPlatform(o) === formatPlatform(p))) d.warn(it.line, it.path, `platform ${formatPlatform(p)} is listed twice`, 'platform');
    else out.push(p);
  }
  return out.length > 0 ? { kind: 'some', platforms: out } : ALL_PLATFORMS;
}

function readOne(d: Diagnostics, it: { text: string; line: number; path: string }): Platform | undefined {
  try {
    return parsePlatform(it.text, (note) => d.warn(it.line, it.path, note, 'platform'));
  } catch (e) {
    if (!isFerryError(e, 'USAGE')) throw e;
    d.error(it.line, it.path, e.message, 'platform');
    return undefined;
  }
}
