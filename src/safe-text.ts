/**
 * Text from a registry, a CDN or a listing API is hostile: a tag name, an error body or a header may carry
 * newlines (forged log lines), ESC (terminal escape sequences), other C0/C1 controls, zero-width characters or
 * bidi overrides (text that reads differently from what it is). Every piece of remote text passes through one of
 * these helpers before it reaches a log line, the run report, `/status` or an error message.
 */

// C0 and C1 controls and DEL; zero-width characters; bidi embeddings, overrides and isolates; BOM; line/paragraph
// separators.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;
// eslint-disable-next-line no-control-regex
const UNSAFE_ONE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;

/** Default longest text kept from a remote source. */
export const MAX_REMOTE_TEXT = 300;

function cut(s: string, max: number): string {
  if (s.length <= max) return s;
  return `${s.slice(0, Math.max(0, max - 1))}…`;
}

/**
 * One line of plain text: whitespace controls (newline, tab, CR, …) become a space, every other unsafe character
 * is dropped, runs of spaces collapse, and the result is at most `max` characters (ending in `…` when cut).
 */
export function safeText(s: unknown, max = MAX_REMOTE_TEXT): string {
  const str = typeof s === 'string' ? s : String(s);
  const t = str
    .replace(/[\t\n\v\f\r\u0085\u2028\u2029]+/g, ' ')
    .replace(UNSAFE, '')
    .replace(/ {2,}/g, ' ')
    .trim();
  return cut(t, max);
}

/**
 * A remote name shown so that the operator sees what was sent: unsafe characters are escaped (`\n`, `\u001b`,
 * `\u202e`), backslashes and quotes too, and the result is cut to `max` characters. Use it to quote an invalid
 * name in a warning; use `safeText` for prose.
 */
export function escapeName(s: string, max = 200): string {
  let out = '';
  for (const ch of s) {
    if (out.length >= max) return `${out}…`;
    if (ch === '\\') out += '\\\\';
    else if (ch === '"') out += '\\"';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (UNSAFE_ONE.test(ch)) out += `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out;
}

/** Whether `s` holds any character `safeText` would remove or replace. */
export function hasUnsafeText(s: string): boolean {
  return UNSAFE_ONE.test(s);
}

/**
 * A log message: every unsafe character but the newline is dropped, and each line after the first is indented, so
 * no text inside a message can pass for a log line of its own (the last guard; remote text is cleaned where it
 * enters).
 */
export function safeLogMessage(s: string): string {
  if (!UNSAFE_ONE.test(s)) return s;
  return s
    .replace(/\r\n?|[\u0085\u2028\u2029]/g, '\n')
    .replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g, '') // eslint-disable-line no-control-regex
    .replace(/\n/g, '\n    ');
}
