import { pino, type Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';
import type { Logger } from './logger.js';

export interface LogSettings {
  level?: string;
  format?: 'json' | 'text';
  colors?: boolean;
  /** show the caller method (dregsy's LOG_METHODS) */
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
  const opts = {
    level: level === 'warning' ? 'warn' : level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
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
  return logger as unknown as Logger;
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
