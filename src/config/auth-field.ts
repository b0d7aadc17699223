import { AuthFormatError, decodeDregsyAuth } from '../credentials/dregsy-auth.js';
import { UnresolvedReferenceError, type ExpandEnv } from '../credentials/expand.js';
import type { CredentialSetting } from '../credentials/types.js';
import type { Diagnostics } from './diagnostics.js';
import { isNull, readString } from './scalars.js';
import type { RawNode } from './yaml-tree.js';

export const AUTH_PLACEHOLDER_HINT = 'put the base64 of {"username":…,"password":…} here, or use ${ENV_VAR}';

/** The message for a credential value that cannot be used (never containing the value). */
export function authProblem(e: unknown): string {
  if (e instanceof UnresolvedReferenceError) {
    if (e.kind === 'env') return `${e.message}: set it before starting ferry, or write the value here`;
    if (e.kind === 'file') return `${e.message}: create the file, or fix the path`;
    return e.message;
  }
  if (e instanceof AuthFormatError) return e.message;
  throw e;
}

/**
 * A location's `auth:`: absent → the Docker config decides; `none` → anonymous; else dregsy's base64 JSON, with
 * ferry's `${ENV}` / `${file:}` references. Undefined (with an error reported at `keyLine`, the `auth:` key's line)
 * when it cannot be used.
 */
export function readAuth(d: Diagnostics, n: RawNode | undefined, path: string, expand: ExpandEnv, keyLine?: number): CredentialSetting | undefined {
  if (n === undefined || isNull(n)) return { kind: 'docker-config' };
  const s = readString(d, n, path, AUTH_PLACEHOLDER_HINT);
  if (s === undefined) return undefined;
  if (s.trim() === '') return { kind: 'docker-config' };
  try {
    return decodeDregsyAuth(s, expand);
  } catch (e) {
    // the `auth:` line, not the value's: a value on the next line, or an alias to an anchor elsewhere, is still this key's
    d.error(keyLine ?? n.line, path, authProblem(e), 'auth');
    return undefined;
  }
}
