import { expandReferences, type ExpandEnv } from './expand.js';
import { basicCredentials, type CredentialSetting } from './types.js';

/** A dregsy `auth:` value that cannot be decoded; messages never contain the secret. */
export class AuthFormatError extends Error {
  override name = 'AuthFormatError';
}

const HINT = 'auth must be the standard base64 (with padding) of {"username":"…","password":"…"}, "none", or ${ENV_VAR}';

/**
 * Decodes a dregsy `auth` value (spec §4.1), ferry-style (difference #5):
 * - `none` → anonymous;
 * - `${ENV}` / `${file:/path}` references are expanded first (the whole value, or parts of it);
 * - then strict standard base64 with padding (line breaks ignored, as Go does; a trailing newline tolerated);
 * - the decoded text is JSON `{"username","password"}` (keys case-insensitive, as Go's decoder; escapes such as
 *   `\"` and `\\` decoded properly; a trailing newline tolerated), or `user:password` split at the first colon;
 * - `${…}` references inside the decoded username and password are expanded too (`$${` is a literal `${`);
 * - both must be non-empty: a username without a password (or the reverse) is an error, not a login.
 * Throws AuthFormatError or UnresolvedReferenceError.
 */
export function decodeDregsyAuth(value: string, e: ExpandEnv): CredentialSetting {
  if (value.trim() === 'none') return { kind: 'none' };
  const expanded = expandReferences(value, e).trim();
  if (expanded === 'none') return { kind: 'none' };
  const text = decodeStdBase64(expanded).toString('utf8');
  let username: unknown;
  let password: unknown;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (json !== null && typeof json === 'object' && !Array.isArray(json)) {
    const obj = json as Record<string, unknown>;
    username = pick(obj, 'username');
    password = pick(obj, 'password');
    if (username !== undefined && typeof username !== 'string') throw new AuthFormatError('invalid Auth: "username" in the decoded JSON is not a string');
    if (password !== undefined && typeof password !== 'string') throw new AuthFormatError('invalid Auth: "password" in the decoded JSON is not a string');
  } else {
    const line = text.replace(/\r?\n$/, '');
    const colon = line.indexOf(':');
    if (line.trimStart().startsWith('{') || colon < 0) {
      throw new AuthFormatError(`invalid Auth: the decoded value is neither JSON nor user:password; ${HINT}`);
    }
    username = line.slice(0, colon);
    password = line.slice(colon + 1);
  }
  const user = typeof username === 'string' ? expandReferences(username, e) : '';
  const pass = typeof password === 'string' ? expandReferences(password, e) : '';
  // half a credential is a mistake (a secret key not mounted, an empty variable), not an anonymous login
  if (user === '' && pass === '') throw new AuthFormatError(`invalid Auth: the decoded value has no username and no password; ${HINT}, or write auth: none for anonymous access`);
  if (user === '') throw new AuthFormatError(`invalid Auth: the decoded value has a password but no username; ${HINT}`);
  if (pass === '') throw new AuthFormatError(`invalid Auth: the decoded value has a username but no password; ${HINT}`);
  return { kind: 'static', credentials: basicCredentials(user, pass) };
}

/** Go's json: an exact key wins, else the first case-insensitive match. */
function pick(obj: Record<string, unknown>, key: string): unknown {
  if (Object.hasOwn(obj, key)) return obj[key];
  const k = Object.keys(obj).find((x) => x.toLowerCase() === key);
  return k === undefined ? undefined : obj[k];
}

/** Go's base64.StdEncoding.DecodeString: strict alphabet and padding; \r and \n are skipped. */
export function decodeStdBase64(s: string): Buffer {
  const clean = s.replace(/[\r\n]/g, '');
  const bad = clean.search(/[^A-Za-z0-9+/=]/);
  const fail = (at: number) => new AuthFormatError(`invalid Auth: illegal base64 data at input byte ${at}; ${HINT}`);
  if (bad >= 0) throw fail(bad);
  const pad = clean.indexOf('=');
  if (pad >= 0 && !/^={1,2}$/.test(clean.slice(pad))) throw fail(pad);
  if (clean.length % 4 !== 0) throw fail(clean.length - (clean.length % 4));
  return Buffer.from(clean, 'base64');
}

/** The base64 dregsy expects, with proper JSON escaping (dregsy's own re-encoding does not escape). */
export function encodeDregsyAuth(username: string, password: string): string {
  return Buffer.from(JSON.stringify({ username, password })).toString('base64');
}
