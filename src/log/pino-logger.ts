import { pino, type Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';
import type { Logger } from './logger.js';
import { safeLogMessage } from '../safe-text.js';

export interface LogSettings {
  level?: string;
  format?: 'json' | 'text';
  colors?: boolean;
  /** add a `caller` field naming the calling function (dregsy's LOG_METHODS) */
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
  // The caller is found by the wrapper below (withCaller) and handed to pino's mixin for the line being written.
  const caller: { method?: string } = {};
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
    // `caller`, not dregsy's func/file: `method` and `file` already carry an HTTP method and a config file
    ...(methods ? { mixin: () => (caller.method === undefined ? {} : { caller: caller.method }) } : {}),
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
  return methods ? withCaller(logger as unknown as Logger, caller) : (logger as unknown as Logger);
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;

/**
 * A logger whose every line names the function that called it. Each level method captures the stack from its
 * own caller on (`Error.captureStackTrace` cuts the frames of the method itself), so neither pino's frames nor
 * file names need recognising: it works the same from src/ under tsx and from the bundled dist/ferry.mjs.
 */
function withCaller(inner: Logger, caller: { method?: string }): Logger {
  const out = { child: (bindings: object) => withCaller(inner.child(bindings), caller) } as Logger;
  for (const level of LEVELS) {
    const log = function log(obj: object, msg?: string): void {
      const holder: { stack?: string } = {};
      Error.captureStackTrace(holder, log);
      caller.method = callerMethod(holder.stack);
      try {
        inner[level](obj, msg);
      } finally {
        caller.method = undefined;
      }
    };
    out[level] = log;
  }
  return out;
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
 * The calling function from a stack captured at the logger's caller (dregsy's LOG_METHODS shows the Go method):
 * its first frame, as `name (path:line)` with the path from `src/` (or `dist/`) on. bin/ferry.js turns source
 * maps on when LOG_METHODS is set, so the bundled CLI names src/ files and lines too. Costs a stack capture per
 * line, which is why it is opt-in.
 */
export function callerMethod(stack: string | undefined): string | undefined {
  for (const f of (stack ?? '').split('\n').slice(1)) {
    const m = /at (?:async )?(?:new )?(?:(\S+) \((.*?):(\d+):\d+\)|(.*?):(\d+):\d+$)/.exec(f.trim());
    if (!m) continue;
    const name = m[1] ?? '<top level>';
    const path = m[2] ?? m[4] ?? '';
    const file = path.replace(/^.*[\\/](src|dist)[\\/]/, '').replace(/^file:\/\//, '');
    return file ? `${name} (${file}:${m[3] ?? m[5]})` : name;
  }
  return undefined;
}