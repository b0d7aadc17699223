import type { Diagnostics } from './diagnostics.js';
import { parseGoDuration } from './duration.js';
import type { RawMap, RawNode, RawScalar } from './yaml-tree.js';

/**
 * Field readers with gopkg.in/yaml.v2 semantics. Each returns undefined for an absent or null value (Go's zero
 * value applies) and reports a type mismatch in yaml.v2's words ("cannot unmarshal !!str `1h` into int").
 */

const NULLS = new Set(['', '~', 'null', 'Null', 'NULL']);
const TRUES = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON', 'true', 'True', 'TRUE']);
const FALSES = new Set(['n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF', 'false', 'False', 'FALSE']);
const INT = /^[-+]?(?:0b[01_]+|0x[0-9a-fA-F_]+|0o?[0-7_]+|[0-9][0-9_]*)$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?$|^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$/;

export function isNull(n: RawNode | undefined): boolean {
  return n === undefined || (n.kind === 'scalar' && n.plain && NULLS.has(n.text));
}

/** The YAML 1.1 tag yaml.v2 resolves a node to, for messages. */
export function yamlTag(n: RawNode): string {
  if (n.kind === 'map') return '!!map';
  if (n.kind === 'seq') return '!!seq';
  if (!n.plain) return '!!str';
  if (NULLS.has(n.text)) return '!!null';
  if (TRUES.has(n.text) || FALSES.has(n.text)) return '!!bool';
  if (INT.test(n.text)) return '!!int';
  if (FLOAT.test(n.text)) return '!!float';
  return '!!str';
}

function describe(n: RawNode): string {
  return n.kind === 'scalar' ? `${yamlTag(n)} \`${n.text}\`` : yamlTag(n);
}

export function mismatch(d: Diagnostics, n: RawNode, path: string, goType: string, hint = ''): undefined {
  d.error(n.line, path, `cannot unmarshal ${describe(n)} into ${goType}${hint ? `: ${hint}` : ''}`, 'type');
  return undefined;
}

/** A placeholder such as `{Token}` (YAML reads it as a one-key mapping) or the string "{Token}". */
export function placeholderText(n: RawNode): string | undefined {
  if (n.kind === 'map' && n.entries.length === 1) {
    const e = n.entries[0];
    if (e && isNull(e.value) && /^[A-Za-z_][\w.-]*$/.test(e.key)) return `{${e.key}}`;
  }
  if (n.kind === 'scalar' && /^\{[A-Za-z_][\w.-]*\}$/.test(n.text)) return n.text;
  return undefined;
}

export function readString(d: Diagnostics, n: RawNode | undefined, path: string, placeholderHint = 'put the real value here'): string | undefined {
  if (n === undefined || isNull(n)) return undefined;
  const ph = placeholderText(n);
  if (ph !== undefined) {
    d.error(n.line, path, `the placeholder "${ph}" was not replaced: ${placeholderHint}`, 'placeholder');
    return undefined;
  }
  if (n.kind !== 'scalar') return mismatch(d, n, path, 'string');
  return n.text;
}

export function readBool(d: Diagnostics, n: RawNode | undefined, path: string): boolean | undefined {
  if (n === undefined || isNull(n)) return undefined;
  if (n.kind === 'scalar' && n.plain) {
    if (TRUES.has(n.text)) return true;
    if (FALSES.has(n.text)) return false;
  }
  return mismatch(d, n, path, 'bool', 'use true or false');
}

function goInt(text: string): number | undefined {
  const t = text.replaceAll('_', '');
  const neg = t.startsWith('-');
  const body = t.replace(/^[-+]/, '');
  let v: number;
  if (/^0b[01]+$/.test(body)) v = Number.parseInt(body.slice(2), 2);
  else if (/^0x[0-9a-fA-F]+$/.test(body)) v = Number.parseInt(body.slice(2), 16);
  else if (/^0o?[0-7]+$/.test(body)) v = Number.parseInt(body.replace(/^0o?/, ''), 8);
  else if (/^[0-9]+$/.test(body)) v = Number.parseInt(body, 10);
  else return undefined;
  return neg ? -v : v;
}

/** An int field: YAML ints (decimal, 0x, 0b, octal, `_`), and floats truncated as yaml.v2 does. */
export function readInt(d: Diagnostics, n: RawNode | undefined, path: string, hint = ''): number | undefined {
  if (n === undefined || isNull(n)) return undefined;
  const tag = yamlTag(n);
  const s = n as RawScalar;
  if (tag === '!!int') {
    const v = goInt(s.text);
    if (v !== undefined && Number.isSafeInteger(v)) return v;
  }
  if (tag === '!!float' && Number.isFinite(Number(s.text.replaceAll('_', '')))) return Math.trunc(Number(s.text.replaceAll('_', '')));
  return mismatch(d, n, path, 'int', hint);
}

/** A float field (ferry's own, e.g. requests-per-second). */
export function readNumber(d: Diagnostics, n: RawNode | undefined, path: string): number | undefined {
  if (n === undefined || isNull(n)) return undefined;
  const tag = yamlTag(n);
  if (tag === '!!int') return goInt((n as RawScalar).text);
  if (tag === '!!float') return Number((n as RawScalar).text.replaceAll('_', ''));
  return mismatch(d, n, path, 'float64');
}

/**
 * A `time.Duration` field, in milliseconds: a Go duration string (`1h30m`, `-1s`; units ns us µs ms s m h, no d),
 * or a bare number taken as NANOSECONDS (yaml.v2 behaviour: `3600` is 3.6 µs).
 */
export function readDuration(d: Diagnostics, n: RawNode | undefined, path: string): { ms: number; bareNumber: boolean } | undefined {
  if (n === undefined || isNull(n)) return undefined;
  const tag = yamlTag(n);
  if (n.kind === 'scalar' && (tag === '!!int' || tag === '!!float')) {
    const ns = tag === '!!int' ? goInt(n.text) : Math.trunc(Number(n.text));
    if (ns !== undefined && Number.isFinite(ns)) return { ms: ns / 1e6, bareNumber: true };
  }
  if (n.kind === 'scalar' && tag === '!!str') {
    const ns = parseGoDuration(n.text);
    if (ns !== undefined) return { ms: ns / 1e6, bareNumber: false };
  }
  return mismatch(d, n, path, 'time.Duration', 'write a Go duration such as 90s, 30m, 1h30m (units ns, us, ms, s, m, h; no d)');
}

/** A mapping, or undefined (with an error) for anything else. */
export function readMap(d: Diagnostics, n: RawNode | undefined, path: string, what = 'a mapping'): RawMap | undefined {
  if (n === undefined || isNull(n)) return undefined;
  if (n.kind === 'map') return n;
  return mismatch(d, n, path, what === 'a mapping' ? 'map' : what);
}

/** A key → value lookup over a mapping; `line(key)` is the line of the key itself. */
export interface Fields {
  (key: string): RawNode | undefined;
  line(key: string): number | undefined;
}

/** Reports unknown keys (with "did you mean") and returns a key → entry lookup. */
export function fields(d: Diagnostics, m: RawMap, path: string, known: readonly string[]): Fields {
  const byKey = new Map<string, { value: RawNode; line: number }>();
  for (const e of m.entries) {
    if (known.includes(e.key)) byKey.set(e.key, { value: e.value, line: e.line });
    else d.unknownKey(e.line, path ? `${path}.${e.key}` : e.key, e.key, known);
  }
  const f = (key: string) => byKey.get(key)?.value;
  f.line = (key: string) => byKey.get(key)?.line;
  return f;
}

export function lineOf(n: RawNode | undefined, fallback: number): number {
  return n?.line ?? fallback;
}
