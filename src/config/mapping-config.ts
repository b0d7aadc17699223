import { MappingSpecError, parseFrom, parseTo, type FromSpec, type ToSpec } from '../filter/mapping.js';
import { tagFilterFromSpecs } from '../filter/tag-filter.js';
import { parseTagSpec, tagSpecWarning, TagSpecError, type TagSpec } from '../filter/tag-spec.js';
import { isValidRepository } from '../ref/reference.js';
import type { Diagnostics } from './diagnostics.js';
import { readPlatform } from './platform.js';
import { fields, isNull, mismatch, readMap, readString } from './scalars.js';
import type { MappingConfig } from './types.js';
import type { RawNode } from './yaml-tree.js';

export const MAPPING_KEYS = ['from', 'to', 'tags', 'platform'] as const;

const REPO_RULE = 'use lower-case letters, digits and . _ __ - between them, with / between path components';

/** One mapping, or undefined when it has errors (they are reported). */
export function readMapping(d: Diagnostics, n: RawNode, path: string, index: number): MappingConfig | undefined {
  const m = readMap(d, n, path);
  if (!m) return undefined;
  const f = fields(d, m, path, MAPPING_KEYS);
  const before = d.errors.length;
  const fromText = readString(d, f('from'), `${path}.from`);
  let from: FromSpec | undefined;
  if (fromText === undefined || fromText === '') {
    if (f('from') === undefined || isNull(f('from')) || fromText === '') d.error(m.line, path, `mapping without 'From' path`);
  } else from = checkFrom(d, fromText, f('from')?.line ?? m.line, `${path}.from`);
  const toText = readString(d, f('to'), `${path}.to`);
  let to: ToSpec | undefined;
  if (toText !== undefined && toText !== '') to = checkTo(d, toText, f('to')?.line ?? m.line, `${path}.to`);
  const specs = readTags(d, f('tags'), `${path}.tags`);
  const platform = readPlatform(d, f('platform'), `${path}.platform`);
  if (d.errors.length > before || !from || !specs) return undefined;
  to ??= { kind: 'plain', path: from.kind === 'plain' ? from.repository : '' };
  return { index, from, to, tags: tagFilterFromSpecs(specs), platform, where: { file: d.file, line: m.line } };
}

function checkFrom(d: Diagnostics, text: string, line: number, path: string): FromSpec | undefined {
  try {
    const from = parseFrom(text);
    if (from.kind === 'plain' && !isValidRepository(from.repository)) {
      const hint = /[*?]/.test(text) ? 'wildcards are not supported: use regex:<RE2>, e.g. regex:.* for every repository' : REPO_RULE;
      d.error(line, path, `'from' path "${text}" is not a repository name: ${hint}`);
      return undefined;
    }
    return from;
  } catch (e) {
    if (!(e instanceof MappingSpecError)) throw e;
    d.error(line, path, e.message);
    return undefined;
  }
}

function checkTo(d: Diagnostics, text: string, line: number, path: string): ToSpec | undefined {
  try {
    const to = parseTo(text);
    if (to.kind === 'plain' && to.path !== '' && !isValidRepository(to.path)) {
      d.error(line, path, `'to' path "${text}" is not a repository name: ${REPO_RULE}`);
      return undefined;
    }
    return to;
  } catch (e) {
    if (!(e instanceof MappingSpecError)) throw e;
    d.error(line, path, e.message);
    return undefined;
  }
}

function readTags(d: Diagnostics, n: RawNode | undefined, path: string): TagSpec[] | undefined {
  if (n === undefined || isNull(n)) return [];
  if (n.kind !== 'seq') return mismatch(d, n, path, '[]string', "list tags and filters, e.g. tags: ['latest', 'semver: >=1.0.0']");
  const out: TagSpec[] = [];
  let ok = true;
  n.items.forEach((item, i) => {
    const p = `${path}[${i}]`;
    if (item.kind !== 'scalar') {
      ok = false;
      mismatch(d, item, p, 'string');
      return;
    }
    try {
      const spec = parseTagSpec(item.text);
      const w = tagSpecWarning(spec);
      if (w) d.warn(item.line, p, w, 'tags');
      out.push(spec);
    } catch (e) {
      if (!(e instanceof TagSpecError)) throw e;
      ok = false;
      d.error(item.line, p, `'tags' uses invalid format: ${e.message}`, 'tags');
    }
  });
  return ok ? out : undefined;
}
