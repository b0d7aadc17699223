import { CST, isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, Parser, type Document, type Node as YamlNode, type YAMLError } from 'yaml';

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
  /** 1-based column of the offending token, when known */
  column?: number;
  /** the key path of the mapping or node concerned (`tasks[0].source`), when known */
  path?: string;
  message: string;
  severity: 'error' | 'warning';
  /** `yaml` (a syntax error), `duplicate-key`, `alias` or `merge` */
  code: 'yaml' | 'duplicate-key' | 'alias' | 'merge';
}

export interface ParsedYaml {
  /** undefined when the file has no content (nothing but whitespace and comments) or has a syntax error */
  root: RawNode | undefined;
  problems: YamlProblem[];
}

/** A YAML error found while resolving the tree (an alias naming no anchor, a cycle), with where it is. */
class TreeError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number | undefined,
    readonly path: string,
  ) {
    super(message);
  }
}

/**
 * Parses YAML source into a RawNode tree. Syntax errors, a key repeated in one mapping, an alias naming no anchor
 * and a bad `<<` merge come back as error problems, each with the line (and column) of the offending token.
 */
export function parseYamlTree(text: string): ParsedYaml {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: false, merge: false, prettyErrors: false, strict: false });
  const problems: YamlProblem[] = [];
  const lineOf = (offset: number | undefined) => (offset === undefined ? 1 : lc.linePos(offset).line);
  const posOf = (offset: number | undefined) => (offset === undefined ? { line: 1 } : { line: lc.linePos(offset).line, column: lc.linePos(offset).col });
  // the first syntax error only: later ones are usually consequences of it
  const first = doc.errors[0];
  if (first) {
    const { offset, message } = describeSyntaxError(text, doc.errors, lineOf);
    problems.push({ severity: 'error', code: 'yaml', ...posOf(offset), message });
  }
  if (problems.length > 0) return { root: undefined, problems };
  const seen = new Map<unknown, RawNode>();
  const active = new Set<unknown>();

  function convert(node: unknown, fallbackLine: number, path: string): RawNode {
    if (isAlias(node)) {
      const at = posOf(node.range?.[0]);
      const target = node.resolve(doc as Document);
      if (!target) {
        throw new TreeError(`unknown alias *${node.source}: no anchor &${node.source} is defined before it; define the anchor first, or check the spelling`, at.line, at.column, path);
      }
      if (active.has(target)) throw new TreeError(`the alias *${node.source} refers to a node that contains it, so it would never end: point it at an anchor outside that node`, at.line, at.column, path);
      // the alias's own line: a value that does not fit where it is used is reported there (its keys keep theirs)
      return { ...convert(target, at.line, path), line: at.line };
    }
    const cached = seen.get(node);
    if (cached) return cached;
    active.add(node);
    let out: RawNode;
    const line = lineOf((node as YamlNode | null)?.range?.[0]) || fallbackLine;
    if (isMap(node)) out = { kind: 'map', line, entries: mapEntries(node.items, path) };
    else if (isSeq(node)) out = { kind: 'seq', line, items: node.items.map((item, i) => convert(item, line, `${path}[${i}]`)) };
    else if (isScalar(node)) {
      const plain = node.type === 'PLAIN';
      const text = typeof node.source === 'string' ? node.source : node.value === null ? '' : String(node.value);
      out = { kind: 'scalar', line, text, plain };
    } else out = { kind: 'scalar', line: fallbackLine, text: '', plain: true }; // an empty value
    active.delete(node);
    seen.set(node, out);
    return out;
  }

  function mapEntries(pairs: readonly unknown[], path: string): RawEntry[] {
    const explicit: RawEntry[] = [];
    const merged: RawEntry[] = [];
    for (const p of pairs) {
      if (!isPair(p)) continue;
      const keyNode = p.key;
      const { line, column } = posOf((keyNode as YamlNode | null)?.range?.[0]);
      if (isScalar(keyNode) && keyNode.type === 'PLAIN' && keyNode.source === '<<') {
        const value = convert(p.value, line, path);
        const sources = value.kind === 'seq' ? value.items : [value];
        for (const s of sources) {
          if (s.kind !== 'map') {
            problems.push({ severity: 'error', code: 'merge', line, ...(column ? { column } : {}), path, message: 'map merge requires map or sequence of maps as the value' });
            continue;
          }
          // explicit keys win over merged ones, and earlier merge sources over later ones: neither is a repeat
          for (const e of s.entries) if (!merged.some((m) => m.key === e.key)) merged.push(e);
        }
        continue;
      }
      const key = isScalar(keyNode) ? (typeof keyNode.source === 'string' ? keyNode.source : String(keyNode.value ?? '')) : undefined;
      if (key === undefined) {
        problems.push({ severity: 'error', code: 'yaml', line, ...(column ? { column } : {}), path, message: 'a mapping key must be a plain string' });
        continue;
      }
      const keyPath = path ? `${path}.${key}` : key;
      const prev = explicit.find((e) => e.key === key);
      if (prev) {
        // yaml.v2 (dregsy) silently keeps the last value, which can drop a filter without a word: ferry refuses
        problems.push({
          severity: 'error',
          code: 'duplicate-key',
          line,
          ...(column ? { column } : {}),
          path: keyPath,
          message: `key "${key}" is repeated in one mapping (lines ${prev.line} and ${line}): keep one of them (dregsy would silently use the last)`,
        });
        continue;
      }
      explicit.push({ key, line, value: convert(p.value, line, keyPath) });
    }
    return [...explicit, ...merged.filter((m) => !explicit.some((e) => e.key === m.key))];
  }

  try {
    const root = doc.contents === null ? undefined : convert(doc.contents, 1, '');
    return { root, problems };
  } catch (e) {
    if (!(e instanceof TreeError)) throw e;
    return { root: undefined, problems: [{ severity: 'error', code: 'alias', line: e.line, ...(e.column ? { column: e.column } : {}), path: e.path, message: e.message }] };
  }
}

/** The first syntax error, in words for a config's author, at its offending token (see syntaxErrorOffset). */
function describeSyntaxError(text: string, errors: readonly YAMLError[], lineOf: (offset: number) => number): { offset: number; message: string } {
  const [first, second] = errors;
  if (!first) return { offset: 0, message: 'invalid YAML' };
  if (first.code === 'MULTIPLE_DOCS') {
    return { offset: first.pos[0], message: 'the file holds more than one YAML document (a second "---" line): a config is one document; remove the "---" and what follows it, or split the file' };
  }
  // `source: x` followed by a more indented `registry: y`: the parser blames `x`; the offending token is the `:`
  // of the key below it, which cannot start a mapping inside a value
  if (first.code === 'BLOCK_AS_IMPLICIT_KEY' && second?.code === 'MULTILINE_IMPLICIT_KEY' && second.pos[0] === first.pos[0] && lineOf(second.pos[1]) > lineOf(first.pos[0])) {
    return {
      offset: second.pos[1],
      message: `a key here is indented under line ${lineOf(first.pos[0])}, which already has a value: remove that value, or indent this key like its siblings`,
    };
  }
  if (first.code === 'BLOCK_AS_IMPLICIT_KEY') {
    return { offset: first.pos[0], message: 'a "key: value" cannot be the value of another key on the same line: quote it, or write the nested mapping on the lines below' };
  }
  return { offset: syntaxErrorOffset(text, first.message, first.pos[0]), message: firstLine(first.message) };
}

/**
 * Where a syntax error's offending token starts. The parser reports an unclosed quote or bracket where it gave up
 * looking (often the end of the file); the user needs the line where the string or the flow collection opens.
 */
function syntaxErrorOffset(text: string, message: string, offset: number): number {
  if (!/^Missing closing|end with an? [\]}]/.test(message)) return offset;
  let open: number | undefined;
  const consider = (t: CST.Token | undefined): void => {
    if (!t || t.offset > offset) return;
    const unclosed =
      t.type === 'flow-collection'
        ? !t.end.some((e) => e.source === (t.start.source === '[' ? ']' : '}'))
        : (t.type === 'double-quoted-scalar' || t.type === 'single-quoted-scalar') && !isClosedQuote(t.source);
    if (unclosed && (open === undefined || t.offset > open)) open = t.offset;
  };
  for (const token of new Parser().parse(text)) {
    if (token.type !== 'document') continue;
    consider(token.value);
    CST.visit(token, (item) => {
      consider(item.key ?? undefined);
      consider(item.value);
    });
  }
  return open ?? offset;
}

function isClosedQuote(source: string): boolean {
  const q = source[0];
  if (source.length < 2 || !source.endsWith(q ?? '')) return false;
  // "…\" ends in an escaped quote, not a closing one
  if (q === '"') return /(^|[^\\])(\\\\)*"$/.test(source.slice(1));
  return true;
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}
