import { FerryError } from '../errors.js';

/** `list`: a string flag that may be repeated; its values are collected in order. */
export type FlagKind = 'string' | 'bool' | 'list';

export interface ParsedFlags {
  values: Record<string, string | boolean | string[]>;
  /** arguments after the flags (Go stops at the first non-flag) */
  rest: string[];
}

/**
 * Go `flag` package parsing, as dregsy's CLI has it: `-name=value`, `-name value`, `--name=value`, `--name value`;
 * bool flags as `-name` or `-name=true|false`; `--` ends the flags, and so does the first non-flag argument.
 * `aliases` maps other spellings to a flag name. Throws FerryError USAGE like Go's "flag provided but not defined".
 */
export function parseGoFlags(argv: readonly string[], spec: Readonly<Record<string, FlagKind>>, aliases: Readonly<Record<string, string>> = {}): ParsedFlags {
  const values: Record<string, string | boolean | string[]> = {};
  const set = (name: string, kind: FlagKind, v: string): void => {
    if (kind !== 'list') values[name] = v;
    else values[name] = [...((values[name] as string[] | undefined) ?? []), v];
  };
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      i++;
      break;
    }
    if (!arg.startsWith('-') || arg === '-') break;
    const body = arg.startsWith('--') ? arg.slice(2) : arg.slice(1);
    if (body === '' || body.startsWith('-') || body.startsWith('=')) throw new FerryError('USAGE', `bad flag syntax: ${arg}`);
    const eq = body.indexOf('=');
    const given = eq >= 0 ? body.slice(0, eq) : body;
    const name = aliases[given] ?? given;
    const kind = spec[name];
    if (!kind) throw new FerryError('USAGE', `flag provided but not defined: -${given}`);
    if (kind === 'bool') {
      if (eq < 0) values[name] = true;
      else {
        const v = body.slice(eq + 1);
        if (/^(1|t|T|true|TRUE|True)$/.test(v)) values[name] = true;
        else if (/^(0|f|F|false|FALSE|False)$/.test(v)) values[name] = false;
        else throw new FerryError('USAGE', `invalid boolean value "${v}" for -${given}: parse error`);
      }
    } else if (eq >= 0) set(name, kind, body.slice(eq + 1));
    else {
      const next = argv[i + 1];
      if (next === undefined) throw new FerryError('USAGE', `flag needs an argument: -${given}`);
      set(name, kind, next);
      i++;
    }
  }
  return { values, rest: argv.slice(i) };
}
