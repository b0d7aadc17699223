/**
 * ferry's typed errors. Every error a user can meet carries a stable `code` (for logs, metrics, exit codes and
 * tests), a message that says what is wrong, where, and what to do, and optional structured context.
 * HTTP statuses become codes in exactly one place: `codeForHttpStatus` below.
 */

export type ErrorCode =
  // configuration and input
  | 'CONFIG_INVALID'
  | 'REFERENCE_INVALID'
  | 'CREDENTIALS_INVALID'
  | 'USAGE'
  // registry answers
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'NOT_FOUND'
  | 'RATE_LIMITED'
  | 'REGISTRY_UNAVAILABLE'
  | 'REGISTRY_ERROR'
  | 'REQUEST_INVALID'
  | 'UNSUPPORTED'
  // integrity and hostile content
  | 'DIGEST_MISMATCH'
  | 'SIZE_MISMATCH'
  | 'MANIFEST_TOO_LARGE'
  | 'MEDIA_TYPE_MISMATCH'
  | 'MANIFEST_INVALID'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'PAGINATION_LOOP'
  | 'REDIRECT_INVALID'
  | 'RESPONSE_INVALID'
  // transport
  | 'NETWORK_ERROR'
  | 'TIMEOUT'
  /** a body moved below the registry's low-speed limit (low-speed-limit / low-speed-time) */
  | 'TRANSFER_TOO_SLOW'
  | 'TLS_ERROR'
  | 'ABORTED';

export interface ErrorContext {
  registry?: string;
  repository?: string;
  reference?: string;
  digest?: string;
  status?: number;
  method?: string;
  /** the registry's own error code, e.g. MANIFEST_UNKNOWN */
  registryCode?: string;
  file?: string;
  line?: number;
  key?: string;
  retryAfterMs?: number;
  [extra: string]: unknown;
}

export class FerryError extends Error {
  override name = 'FerryError';
  readonly code: ErrorCode;
  readonly context: ErrorContext;

  constructor(code: ErrorCode, message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.context = context;
  }

  /** True for failures that a later attempt may not meet again (network, 5xx, 429, timeouts, truncation). */
  get retryable(): boolean {
    return RETRYABLE.has(this.code);
  }
}

const RETRYABLE = new Set<ErrorCode>(['RATE_LIMITED', 'REGISTRY_UNAVAILABLE', 'NETWORK_ERROR', 'TIMEOUT']);

export function isFerryError(e: unknown, code?: ErrorCode): e is FerryError {
  return e instanceof FerryError && (code === undefined || e.code === code);
}

/** The one mapping from an HTTP status to a ferry error code. */
export function codeForHttpStatus(status: number): ErrorCode {
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 403) return 'DENIED';
  if (status === 404) return 'NOT_FOUND';
  if (status === 405) return 'UNSUPPORTED';
  if (status === 408 || status === 504) return 'TIMEOUT';
  if (status === 413) return 'MANIFEST_TOO_LARGE';
  if (status === 429) return 'RATE_LIMITED';
  if (status === 500 || status === 502 || status === 503) return 'REGISTRY_UNAVAILABLE';
  if (status >= 400 && status < 500) return 'REQUEST_INVALID';
  return 'REGISTRY_ERROR';
}

/** The HTTP status a registry answered with, when `e` is a FerryError that carries one. */
export function statusOf(e: unknown): number | undefined {
  return e instanceof FerryError ? e.context.status : undefined;
}

/**
 * A registry's considered answer that it will not do this (a 4xx other than 401 and 429, which say "not now" or
 * "not with these credentials"): worth remembering, so the request is not made again.
 */
export function isRefusal(e: unknown): boolean {
  const status = statusOf(e);
  return status !== undefined && status >= 400 && status < 500 && status !== 401 && status !== 429;
}

/** Where an error happened, for messages: "registry 127.0.0.1:5000, repository a/b, reference v1". */
export function describeWhere(ctx: ErrorContext): string {
  const parts: string[] = [];
  if (ctx.registry) parts.push(`registry ${ctx.registry}`);
  if (ctx.repository) parts.push(`repository ${ctx.repository}`);
  if (ctx.reference) parts.push(`reference ${ctx.reference}`);
  else if (ctx.digest) parts.push(`digest ${ctx.digest}`);
  return parts.join(', ');
}
