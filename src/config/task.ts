import type { Diagnostics } from './diagnostics.js';
import { literalNamespace } from '../filter/mapping.js';
import { readLocation, type LocationContext } from './location.js';
import { readMapping } from './mapping-config.js';
import { fields, isNull, mismatch, readBool, readInt, readMap, readString } from './scalars.js';
import { MIN_INTERVAL_SECONDS, type LocationConfig, type MappingConfig, type TaskConfig } from './types.js';
import type { RawNode } from './yaml-tree.js';

export const TASK_KEYS = ['name', 'interval', 'verbose', 'source', 'target', 'mappings'] as const;

/** One task (dregsy `Task.validate` plus ferry's checks), or undefined when it has errors (they are reported). */
export function readTask(ctx: LocationContext, n: RawNode, index: number): TaskConfig | undefined {
  const { d } = ctx;
  const path = `tasks[${index}]`;
  const m = readMap(d, n, path);
  if (!m) return undefined;
  const f = fields(d, m, path, TASK_KEYS);
  const before = d.errors.length;
  const name = readString(d, f('name'), `${path}.name`);
  if ((name === undefined || name === '') && (f('name') === undefined || isNull(f('name')) || name === '')) {
    d.error(m.line, path, 'a task requires a name');
  }
  const label = name ?? `#${index + 1}`;
  const interval = readInt(d, f('interval'), `${path}.interval`, 'interval is whole seconds, e.g. 3600 (duration strings are not accepted)') ?? 0;
  const intervalLine = f('interval')?.line ?? m.line;
  if (interval < 0) d.error(intervalLine, `${path}.interval`, 'task interval needs to be 0 or a positive integer');
  else if (interval > 0 && interval < MIN_INTERVAL_SECONDS) {
    d.error(intervalLine, `${path}.interval`, `minimum task interval is 30 seconds (got ${interval}); use 0 to run once`);
  }
  const verbose = readBool(d, f('verbose'), `${path}.verbose`) ?? false;
  const source = readLocation(ctx, f('source'), `${path}.source`, 'source', label, f.line('source') ?? m.line);
  const target = readLocation(ctx, f('target'), `${path}.target`, 'target', label, f.line('target') ?? m.line);
  const mappings = readMappings(d, f('mappings'), `${path}.mappings`);
  const needsRepositoryList = mappings?.some((x) => x.from.kind === 'regex') ?? false;
  if (source && needsRepositoryList && source.canonical === 'docker.io') {
    const type = source.lister?.type ?? 'catalog';
    if (type !== 'dockerhub' && type !== 'index') {
      d.error(
        f.line('source') ?? m.line,
        `${path}.source.lister`,
        `cannot create repo list for task '${label}': DockerHub only supports list types 'dockerhub' and 'index' (a regex 'from' lists repositories; Docker Hub has no catalog): add lister: {type: dockerhub} or {type: index, search: <term>}`,
      );
    }
  }
  if (source && mappings) checkListerInputs(d, source, mappings, `${path}.mappings`);
  if (d.errors.length > before || !source || !target || !mappings || name === undefined) return undefined;
  return {
    name,
    index,
    intervalSeconds: interval,
    verbose,
    source,
    target,
    mappings,
    needsRepositoryList,
    where: { file: d.file, line: m.line },
  };
}

function readMappings(d: Diagnostics, n: RawNode | undefined, path: string): MappingConfig[] | undefined {
  if (n === undefined || isNull(n)) return [];
  if (n.kind !== 'seq') return mismatch(d, n, path, '[]*sync.Mapping', 'mappings is a list: start each mapping with "- from: …"');
  const out: MappingConfig[] = [];
  let ok = true;
  n.items.forEach((item, i) => {
    const mapping = readMapping(d, item, `${path}[${i}]`, i);
    if (mapping) out.push(mapping);
    else ok = false;
  });
  return ok ? out : undefined;
}

/**
 * What a lister needs that the config alone decides, checked here so that the run does not find out after it has
 * started talking to registries: the Harbor API lists one project, the Hub API one namespace (or the login user's).
 */
function checkListerInputs(d: Diagnostics, source: LocationConfig, mappings: readonly MappingConfig[], path: string): void {
  const lister = source.lister;
  if (lister?.type !== 'harbor' && lister?.type !== 'dockerhub') return;
  for (const m of mappings) {
    if (m.from.kind !== 'regex' || literalNamespace(m.from.matcher.pattern) !== undefined) continue;
    const at = `${path}[${m.index}].from`;
    if (lister.type === 'harbor' && !lister.search) {
      d.error(m.where.line, at, `the harbor lister lists one project, and "regex:${m.from.matcher.pattern}" does not start with one: write regex:<project>/…, or set search: <project> in the source's lister`);
    } else if (lister.type === 'dockerhub' && source.credentials.kind === 'none') {
      d.error(m.where.line, at, `the dockerhub lister lists one namespace, and "regex:${m.from.matcher.pattern}" does not start with one: write regex:<namespace>/…, or give the source an auth: (it then lists the login user's repositories; auth: none has no login user)`);
    }
  }
}
