/** Injected environment for `${…}` references, so tests need no real env or files. */
export interface ExpandEnv {
  env: Readonly<Record<string, string | undefined>>;
  /** synchronous, UTF-8; throws (e.g. ENOENT) when the file cannot be read */
  readFile: (path: string) => string;
}

/** A reference that cannot be resolved; the message names the reference, never a value. */
export class UnresolvedReferenceError extends Error {
  override name = 'UnresolvedReferenceError';
  constructor(
    message: string,
    /** what was missing: an environment variable, a file, or the reference is malformed */
    readonly kind: 'env' | 'file' | 'syntax',
  ) {
    super(message);
  }
}

const REF = /\$\$\{|\$\{([^}]*)\}/g;

/** Whether the text contains a `${…}` reference. */
export function hasReference(text: string): boolean {
  return /\$\{[^}]*\}/.test(text.replaceAll('$${', ''));
}

/**
 * Expands `${NAME}` (environment variable) and `${file:/path}` (file contents, one trailing newline removed).
 * `$${` is a literal `${`. Any other `$` is left alone, so `robot$project+name` is safe. Throws
 * UnresolvedReferenceError for an unset variable, an unreadable file or a malformed reference.
 */
export function expandReferences(text: string, e: ExpandEnv): string {
  return text.replace(REF, (whole, inner: string | undefined) => {
    if (whole === '$${') return '${';
    const ref = inner ?? '';
    if (ref.startsWith('file:')) {
      const path = ref.slice('file:'.length);
      if (path === '') throw new UnresolvedReferenceError('"${file:}" names no file: write ${file:/path/to/secret}', 'syntax');
      try {
        return e.readFile(path).replace(/\r?\n$/, '');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new UnresolvedReferenceError(`cannot read file "${path}" for \${file:${path}}${code ? ` (${code})` : ''}`, 'file');
      }
    }
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(ref)) {
      throw new UnresolvedReferenceError(`"\${${ref}}" is not a valid reference: use \${ENV_VAR} or \${file:/path}`, 'syntax');
    }
    const v = e.env[ref];
    if (v === undefined) throw new UnresolvedReferenceError(`environment variable ${ref} is not set (referenced as \${${ref}})`, 'env');
    return v;
  });
}
