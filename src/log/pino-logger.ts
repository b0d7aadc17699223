import { pino, type Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';
import type { Logger } from './logger.js';

export interface LogSettings {
  level?: string;
  format?: 'json' | 'text';
  colors?: boolean;
  /** add a `caller` field naming the calling function (dregsy's LOG_METHODS) */
  methods?: boolean;
  destination?: NodeJS.WritableStream;
}

/** Paths whose values never reach a log line, whatever a caller passes. */
export const REDACT_PATHS = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  'password',
  '*.password',
  'token',
  '*.token',
  'auth',
  '*.auth',
  'credentials',
  '*.credentials',
  'identityToken',
  '*.identityToken',
];

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
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
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