import { createHash, type Hash } from 'node:crypto';
import { FerryError } from '../errors.js';

/** A content digest such as `sha256:<64 lowercase hex>`. */
export type Digest = string;

const DIGEST_GRAMMAR = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const KNOWN: Record<string, RegExp> = {
  sha256: /^[a-f0-9]{64}$/,
  sha512: /^[a-f0-9]{128}$/,
};

export function isDigest(s: string): boolean {
  if (!DIGEST_GRAMMAR.test(s)) return false;
  const i = s.indexOf(':');
  const pattern = KNOWN[s.slice(0, i)];
  return pattern ? pattern.test(s.slice(i + 1)) : true;
}

/** Whether ferry can compute digests with this algorithm. */
export function canVerify(digest: Digest): boolean {
  const alg = digest.slice(0, digest.indexOf(':'));
  return alg === 'sha256' || alg === 'sha512';
}

export function digestAlgorithm(digest: Digest): 'sha256' | 'sha512' {
  const alg = digest.slice(0, digest.indexOf(':'));
  if (alg !== 'sha256' && alg !== 'sha512') {
    throw new FerryError('UNSUPPORTED', `cannot verify digest ${digest}: only sha256 and sha512 are supported`);
  }
  return alg;
}

export function digestOf(bytes: Uint8Array, algorithm: 'sha256' | 'sha512' = 'sha256'): Digest {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}

/** An incremental hasher for streamed content. */
export class Digester {
  private readonly hash: Hash;
  bytes = 0;
  constructor(readonly algorithm: 'sha256' | 'sha512' = 'sha256') {
    this.hash = createHash(algorithm);
  }
  update(chunk: Uint8Array): void {
    this.bytes += chunk.byteLength;
    this.hash.update(chunk);
  }
  digest(): Digest {
    return `${this.algorithm}:${this.hash.digest('hex')}`;
  }
}
