/** One finding about a config file. `toString()` is the line users see: `file:line: path: message`. */
export interface ConfigIssue {
  readonly severity: 'error' | 'warning' | 'info';
  readonly file: string;
  readonly line: number;
  /** 1-based column, for YAML errors that point at one token */
  readonly column?: number;
  /** key path such as `tasks[0].source.auth`; empty for the file as a whole */
  readonly path: string;
  readonly message: string;
  /** a stable name for tests and tooling, e.g. `unknown-key`, `placeholder` */
  readonly code: string;
}

export function formatIssue(i: Pick<ConfigIssue, 'file' | 'line' | 'column' | 'path' | 'message'>): string {
  return `${i.file}:${i.line}:${i.column ? `${i.column}:` : ''} ${i.path ? `${i.path}: ` : ''}${i.message}`;
}

/** Collects issues while the config is converted; `strict` turns unknown-key warnings into errors. */
export class Diagnostics {
  readonly issues: ConfigIssue[] = [];
  constructor(
    readonly file: string,
    readonly strict = false,
  ) {}

  private add(severity: ConfigIssue['severity'], code: string, line: number, path: string, message: string, column?: number): void {
    const issue: ConfigIssue = { severity, file: this.file, line, ...(column ? { column } : {}), path, message, code };
    Object.defineProperty(issue, 'toString', { value: () => formatIssue(issue), enumerable: false });
    this.issues.push(issue);
  }
  error(line: number, path: string, message: string, code = 'invalid', column?: number): void {
    this.add('error', code, line, path, message, column);
  }
  warn(line: number, path: string, message: string, code = 'warning', column?: number): void {
    this.add('warning', code, line, path, message, column);
  }
  info(line: number, path: string, message: string, code = 'info'): void {
    this.add('info', code, line, path, message);
  }
  unknownKey(line: number, path: string, key: string, known: readonly string[]): void {
    const close = suggest(key, known);
    const hint = close ? `; did you mean "${close}"?` : '';
    if (this.strict) this.error(line, path, `unknown key "${key}"${hint}`, 'unknown-key');
    else this.warn(line, path, `unknown key "${key}" is ignored${hint}`, 'unknown-key');
  }
  get errors(): ConfigIssue[] {
    return this.issues.filter((i) => i.severity === 'error');
  }
}

/** The closest known word within a small edit distance (case-insensitive), or undefined. */
export function suggest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const k of known) {
    const d = levenshtein(word.toLowerCase(), k.toLowerCase());
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  const limit = Math.max(1, Math.min(3, Math.floor(word.length / 3)));
  return bestD <= limit ? best : undefined;
}

export function levenshtein(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur.push(Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}
