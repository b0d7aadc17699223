import { pino, type Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';
import type { Logger } from './logger.js';
import { safeLogMessage } from '../safe-text.js';

export interface LogSettings {
  level?: string;
  format?: 'json' | 'text';
  colors?: boolean;
  /** show the caller method (dregsy's LOG_METHODS) */
  methods?: boolean;
  destination?: NodeJS.WritableStream;
}

/**
 * Field names whose values never reach a log line, at any depth and in any case; `-` and `_` are ignored, so
 * `Authorization`, `x-registry-auth`'s `auth`, `identity_token` and `PASSWORD` all match. A name matches when,
 * lower-cased without `-`/`_`, it is one of `SECRET_KEYS` or ends with one of `SECRET_SUFFIXES`.
 */
export const SECRET_KEYS = ['auth', 'authorization', 'proxyauthorization', 'cookie', 'setcookie', 'apikey', 'privatekey', 'credential', 'credentials'];
export const SECRET_SUFFIXES = ['password', 'passwd', 'secret', 'token', 'auth'];
export const REDACTED = '[redacted]';
/** Objects nested deeper than this are replaced whole (a log line has no business being that deep). */
const MAX_DEPTH = 32;

const secretKeys = new Set(SECRET_KEYS);

export function isSecretKey(key: string): boolean {
  const k = key.toLowerCase().replace(/[-_]/g, '');
  return secretKeys.has(k) || SECRET_SUFFIXES.some((s) => k.endsWith(s));
}

function isPlain(v: object): boolean {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * A copy of `v` with the value of every secret-named field replaced by `[redacted]`, in nested objects and arrays
 * at any depth. Other objects (errors, buffers, dates) are kept as they are; cycles become `[circular]`.
 */
export function redactSecrets(v: unknown, depth = 0, seen: WeakSet<object> = new WeakSet()): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (!Array.isArray(v) && !isPlain(v)) return v;
  if (seen.has(v)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  seen.add(v);
  let out: unknown;
  if (Array.isArray(v)) out = v.map((x) => redactSecrets(x, depth + 1, seen));
  else {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) o[k] = isSecretKey(k) && x !== undefined && x !== null ? REDACTED : redactSecrets(x, depth + 1, seen);
    out = o;
  }
  seen.delete(v);
  return out;
}

/**
 * The process logger: readable text by default (as `docker logs` shows it), JSON with LOG_FORMAT=json.
 * Reads dregsy's environment: LOG_LEVEL, LOG_FORMAT, LOG_FORCE_COLORS, LOG_METHODS.
 */
export function createLogger(s: LogSettings = {}, env: NodeJS.ProcessEnv = process.env): Logger {
  const level = (s.level ?? env.LOG_LEVEL ?? 'info').toLowerCase();
  const format = s.format ?? (env.LOG_FORMAT?.toLowerCase() === 'json' ? 'json' : 'text');
  const dest = s.destination ?? process.stderr;
  const methods = s.methods ?? truthy(env.LOG_METHODS);
  const opts = {
    level: level === 'warning' ? 'warn' : level,
    // every line's fields pass through the deep redaction (child bindings too: see redactChildBindings)
    formatters: { log: (o: Record<string, unknown>) => redactSecrets(o) as Record<string, unknown> },
    // messages: no control characters, continuation lines indented (no forged log lines, no terminal escapes)
    hooks: {
      logMethod(this: PinoLogger, args: Parameters<PinoLogger['info']>, method: (...a: unknown[]) => void) {
        method.apply(this, args.map((a: unknown) => (typeof a === 'string' ? safeLogMessage(a) : a)));
      },
    },
    base: undefined,
    ...(methods ? { mixin: () => ({ method: callerMethod() }) } : {}),
  };
  let logger: PinoLogger;
  if (format === 'json') {
    logger = pino(opts, dest as NodeJS.WritableStream & { write: (s: string) => boolean });
  } else {
    const colorize = s.colors ?? (truthy(env.LOG_FORCE_COLORS) || ((dest as { isTTY?: boolean }).isTTY ?? false));
    const stream = pretty({ destination: dest as never, colorize, translateTime: 'SYS:yyyy-mm-dd HH:MM:ss', ignore: 'pid,hostname', singleLine: true, sync: true });
    logger = pino(opts, stream);
  }
  redactChildBindings(logger);
  return logger as unknown as Logger;
}

/**
 * pino applies no formatter to a child's bindings, so `child()` redacts them first. Children are created with
 * `Object.create(parent)`, so they inherit this `child` too.
 */
function redactChildBindings(logger: PinoLogger): void {
  const child = logger.child;
  Object.defineProperty(logger, 'child', {
    value: function (this: PinoLogger, bindings: Record<string, unknown>, options?: Parameters<PinoLogger['child']>[1]) {
      return child.call(this, redactSecrets(bindings) as Record<string, unknown>, options);
    },
    writable: true,
    configurable: true,
  });
}

function truthy(v: string | undefined): boolean {
  return v !== undefined && /^(1|true|yes|on)$/i.test(v);
}

/**
 * The function that called the logger (dregsy's LOG_METHODS shows the Go method): the first stack frame outside
 * pino and this module. Costs a stack capture per line, which is why it is opt-in.
 */
export function callerMethod(): string | undefined {
  const frames = (new Error().stack ?? '').split('\n').slice(1);
  for (const f of frames) {
    if (/node_modules[\\/]pino|pino-logger\.|node:internal|<anonymous>/.test(f)) continue;
    const m = /at (?:async )?([^\s(]+)(?: \((.*?):(\d+):\d+\))?/.exec(f.trim());
    if (!m) continue;
    const file = m[2] ? m[2].replace(/^.*[\\/](src|dist)[\\/]/, '') : '';
    return file ? `${m[1]} (${file}:${m[3]})` : m[1];
  }
  return undefined;
}
