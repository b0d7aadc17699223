import type { RE2JS } from 're2js';

/**
 * Go's `Regexp.ReplaceAllString(src, template)`: every non-overlapping match is replaced, an empty match right
 * after a previous match is skipped, and the template is expanded the Go way:
 * `$1`, `${1}`, `$name`, `${name}`, `$$` → `$`; the name after a bare `$` is as long as possible, so `$1x` means
 * the group named `1x` (empty unless it exists) — write `${1}x`; a malformed `$` stays literal; a group that
 * did not participate or does not exist expands to "".
 */
export function goReplaceAll(re: RE2JS, src: string, template: string): string {
  const names = re.namedGroups();
  const m = re.matcher(src);
  let out = '';
  let lastMatchEnd = 0;
  let searchPos = 0;
  while (searchPos <= src.length) {
    if (!m.find(searchPos)) break;
    const start = m.start();
    const end = m.end();
    out += src.slice(lastMatchEnd, start);
    if (end > lastMatchEnd || start === 0) out += expand(template, (g) => groupText(g));
    lastMatchEnd = end;
    const cp = src.codePointAt(searchPos);
    const width = cp !== undefined && cp > 0xffff ? 2 : 1;
    if (searchPos + width > end) searchPos += width;
    else if (searchPos + 1 > end) searchPos++;
    else searchPos = end;
  }
  return out + src.slice(lastMatchEnd);

  function groupText(g: number | string): string {
    const index = typeof g === 'number' ? g : names[g];
    if (index === undefined || index > m.groupCount()) return '';
    return m.start(index) < 0 ? '' : (m.group(index) ?? '');
  }
}

/** Go's `Regexp.expand` for one match; `group` returns the text of a group by number or name. */
export function expand(template: string, group: (g: number | string) => string): string {
  let out = '';
  let t = template;
  for (;;) {
    const i = t.indexOf('$');
    if (i < 0) break;
    out += t.slice(0, i);
    t = t.slice(i + 1);
    if (t.startsWith('$')) {
      out += '$';
      t = t.slice(1);
      continue;
    }
    const ex = extract(t);
    if (!ex) {
      out += '$';
      continue;
    }
    t = ex.rest;
    out += group(ex.num >= 0 ? ex.num : ex.name);
  }
  return out + t;
}

const NAME_CHAR = /^[\p{L}\p{Nd}_]$/u;

function extract(str: string): { name: string; num: number; rest: string } | undefined {
  if (str === '') return undefined;
  let s = str;
  const brace = s.startsWith('{');
  if (brace) s = s.slice(1);
  let i = 0;
  for (const ch of s) {
    if (!NAME_CHAR.test(ch)) break;
    i += ch.length;
  }
  if (i === 0) return undefined;
  const name = s.slice(0, i);
  if (brace) {
    if (s[i] !== '}') return undefined;
    i++;
  }
  let num = 0;
  for (const c of name) {
    if (c < '0' || c > '9' || num >= 1e8) {
      num = -1;
      break;
    }
    num = num * 10 + (c.charCodeAt(0) - 48);
  }
  if (name[0] === '0' && name.length > 1) num = -1;
  return { name, num, rest: s.slice(i) };
}
