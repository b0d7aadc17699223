import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node as YamlNode } from 'yaml';

/**
 * A YAML tree the way gopkg.in/yaml.v2 sees it, with line numbers: aliases resolved, `<<` merge keys applied
 * (explicit keys win, then earlier merge sources), and every scalar kept as its source text (`1.10` stays "1.10";
 * quoted and block scalars are their decoded string). Typing happens later, per field (see scalars.ts).
 */
export type RawNode = RawMap | RawSeq | RawScalar;

export interface RawMap {
  readonly kind: 'map';
  readonly line: number;
  readonly entries: readonly RawEntry[];
}
export interface RawEntry {
  readonly key: string;
  readonly line: number;
  readonly value: RawNode;
}
export interface RawSeq {
  readonly kind: 'seq';
  readonly line: number;
  readonly items: readonly RawNode[];
}
export interface RawScalar {
  readonly kind: 'scalar';
  readonly line: number;
  readonly text: string;
  /** plain (unquoted, not a block scalar): only plain scalars resolve to null, bool, int or float */
  readonly plain: boolean;
}

export interface YamlProblem {
  line: number;
  message: string;
  severity: 'error' | 'warning';
}

export interface ParsedYaml {
  root: RawNode | undefined;
  problems: YamlProblem[];
}

/** Parses YAML source into a RawNode tree; syntax errors and duplicate keys come back as problems. */
export function parseYamlTree(text: string): ParsedYaml {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: false, merge: false, prettyErrors: false, strict: false });
  const problems: YamlProblem[] = [];
  const lineOf = (offset: number | undefined) => (offset === undefined ? 1 : lc.linePos(offset).line);
  // the first syntax error only: later ones are usually consequences of it
  const first = doc.errors[0];
  if (first) problems.push({ severity: 'error', line: lineOf(first.pos[0]), message: firstLine(first.message) });
  if (problems.length > 0) return { root: undefined, problems };
  const seen = new Map<unknown, RawNode>();
  const active = new Set<unknown>();

  function convert(node: unknown, fallbackLine: number): RawNode {
    if (isAlias(node)) {
      const target = node.resolve(doc as Document);
      if (!target) throw new Error(`unknown alias *${node.source}`);
      return convert(target, lineOf(node.range?.[0]));
    }
    const cached = seen.get(node);
    if (cached) return cached;
    if (active.has(node)) throw new Error('an alias refers to a node that contains it');
    active.add(node);
    let out: RawNode;
    const line = lineOf((node as YamlNode | null)?.range?.[0]) || fallbackLine;
    if (isMap(node)) out = { kind: 'map', line, entries: mapEntries(node.items) };
    else if (isSeq(node)) out = { kind: 'seq', line, items: node.items.map((i) => convert(i, line)) };
    else if (isScalar(node)) {
      const plain = node.type === 'PLAIN';
      const text = typeof node.source === 'string' ? node.source : node.value === null ? '' : String(node.value);
      out = { kind: 'scalar', line, text, plain };
    } else out = { kind: 'scalar', line: fallbackLine, text: '', plain: true }; // an empty value
    active.delete(node);
    seen.set(node, out);
    return out;
  }

  function mapEntries(pairs: readonly unknown[]): RawEntry[] {
    const explicit: RawEntry[] = [];
    const merged: RawEntry[] = [];
    for (const p of pairs) {
      if (!isPair(p)) continue;
      const keyNode = p.key;
      const line = lineOf((keyNode as YamlNode | null)?.range?.[0]);
      if (isScalar(keyNode) && keyNode.type === 'PLAIN' && keyNode.source === '<<') {
        const value = convert(p.value, line);
        const sources = value.kind === 'seq' ? value.items : [value];
        for (const s of sources) {
          if (s.kind !== 'map') {
            problems.push({ severity: 'error', line, message: 'map merge requires map or sequence of maps as the value' });
            continue;
          }
          for (const e of s.entries) if (!merged.some((m) => m.key === e.key)) merged.push(e);
        }
        continue;
      }
      const key = isScalar(keyNode) ? (typeof keyNode.source === 'string' ? keyNode.source : String(keyNode.value ?? '')) : undefined;
      if (key === undefined) {
        problems.push({ severity: 'error', line, message: 'a mapping key must be a plain string' });
        continue;
      }
      const prev = explicit.findIndex((e) => e.key === key);
      const entry = { key, line, value: convert(p.value, line) };
      if (prev >= 0) {
        problems.push({ severity: 'warning', line, message: `duplicate key "${key}" (first on line ${explicit[prev]?.line}): the later value is used, as dregsy does` });
        explicit.splice(prev, 1);
      }
      explicit.push(entry);
    }
    return [...explicit, ...merged.filter((m) => !explicit.some((e) => e.key === m.key))];
  }

  try {
    const root = doc.contents === null ? undefined : convert(doc.contents, 1);
    return { root, problems };
  } catch (e) {
    return { root: undefined, problems: [{ severity: 'error', line: 1, message: (e as Error).message }] };
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}
