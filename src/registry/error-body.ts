/**
 * Registry error bodies (registry-protocol.md §1.11). A 4xx/5xx body may be anything:
 *
 * - the spec's `{"errors":[{"code":"MANIFEST_UNKNOWN","message":"…","detail":…}]}` (also Harbor v2);
 * - a single object `{"code":…,"message":…}` (Harbor's older API, numeric codes included);
 * - token-server shapes such as `{"details":"incorrect username or password"}` or OAuth's
 *   `{"error":"invalid_grant","error_description":"…"}`, kept as `text`;
 * - plain text (Docker Hub's 429) or an HTML error page from a proxy, kept as a short one-line `text`.
 *
 * Registries are untrusted: codes and messages are reduced to one line without control characters, and bounded.
 */

import { safeText } from '../safe-text.js';

export interface RegistryErrorDetail {
  code: string;
  message?: string;
  detail?: unknown;
}

export interface ParsedErrorBody {
  errors: RegistryErrorDetail[];
  text?: string;
}

/** Longest `text`, message or summary kept. */
const MAX_TEXT = 300;
/** Only this much of a body is parsed as JSON, and this much searched for text. */
const MAX_JSON = 1024 * 1024;
const MAX_SCAN = 64 * 1024;
const MAX_ERRORS = 20;

/** One line: control characters dropped, whitespace collapsed, at most `max` characters (ending in `…` if cut). */
function oneLine(s: string, max = MAX_TEXT): string {
  return safeText(s, max);
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', '#39': "'" };

function stripHtml(s: string): string {
  return s
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<(script|style|head)\b[^>]*>[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(amp|lt|gt|quot|apos|nbsp|#39);/g, (_m, e: string) => ENTITIES[e] ?? ' ');
}

function looksLikeHtml(contentType: string, body: string): boolean {
  if (contentType.includes('html')) return true;
  return /^\s*<(!doctype|html|head|body|\?xml|center|h1|p|div|title)\b/i.test(body);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An error entry from an object with a `code`, or a bare string; undefined for anything else. */
function toDetail(v: unknown): RegistryErrorDetail | undefined {
  if (typeof v === 'string') return v.trim() === '' ? undefined : { code: 'UNKNOWN', message: oneLine(v) };
  if (!isRecord(v)) return undefined;
  const rawCode = v['code'];
  const code = typeof rawCode === 'string' || typeof rawCode === 'number' ? oneLine(String(rawCode), 100) : '';
  const msg = v['message'];
  const out: RegistryErrorDetail = { code: code === '' ? 'UNKNOWN' : code };
  if (typeof msg === 'string' && msg.trim() !== '') out.message = oneLine(msg);
  if ('detail' in v && v['detail'] !== undefined && v['detail'] !== null) out.detail = v['detail'];
  if (code === '' && out.message === undefined) return undefined;
  return out;
}

/** Errors and/or text from a JSON value, or undefined when the shape is not recognised. */
function fromJson(v: unknown): ParsedErrorBody | undefined {
  if (Array.isArray(v)) {
    const errors = v.slice(0, MAX_ERRORS).map(toDetail).filter((d): d is RegistryErrorDetail => d !== undefined);
    return errors.length > 0 ? { errors } : undefined;
  }
  if (!isRecord(v)) return undefined;
  const list = v['errors'];
  if (Array.isArray(list)) {
    const errors = list.slice(0, MAX_ERRORS).map(toDetail).filter((d): d is RegistryErrorDetail => d !== undefined);
    if (errors.length > 0) return { errors };
  }
  if ('code' in v) {
    const d = toDetail(v);
    if (d) return { errors: [d] };
  }
  for (const key of ['error_description', 'details', 'message', 'error', 'detail']) {
    const t = v[key];
    if (typeof t === 'string' && t.trim() !== '') return { errors: [], text: oneLine(t) };
  }
  return undefined;
}

/** Parses an error body. Never throws; `errors` is empty when the body holds no recognisable error entries. */
export function parseErrorBody(contentType: string | undefined, body: string): ParsedErrorBody {
  try {
    const ct = (contentType ?? '').toLowerCase();
    const b = typeof body === 'string' ? body : '';
    const trimmed = b.length > MAX_JSON ? b.slice(0, MAX_JSON).trim() : b.trim();
    if (trimmed === '') return { errors: [] };
    if (ct.includes('json') || trimmed.startsWith('{') || trimmed.startsWith('[')) {
      try {
        const parsed = fromJson(JSON.parse(trimmed));
        if (parsed) return parsed;
      } catch {
        // not JSON after all: fall through to text
      }
    }
    const head = trimmed.slice(0, MAX_SCAN);
    const text = oneLine(looksLikeHtml(ct, head) ? stripHtml(head) : head);
    return text === '' ? { errors: [] } : { errors: [], text };
  } catch {
    return { errors: [] };
  }
}

/**
 * One line for messages: `MANIFEST_UNKNOWN: manifest unknown` (several errors joined with `; `), else the text,
 * else `HTTP <status>`. At most 300 characters.
 */
export function summarizeRegistryError(status: number, parsed: ReturnType<typeof parseErrorBody>): string {
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const e of parsed.errors) {
    const code = oneLine(e.code, 100);
    const msg = e.message === undefined ? '' : oneLine(e.message);
    const part = msg === '' || msg.toUpperCase() === code ? code : code === '' ? msg : `${code}: ${msg}`;
    if (part === '' || seen.has(part)) continue;
    seen.add(part);
    parts.push(part);
  }
  if (parts.length > 0) return oneLine(parts.join('; '));
  const text = parsed.text === undefined ? '' : oneLine(parsed.text);
  return text !== '' ? text : `HTTP ${status}`;
}
