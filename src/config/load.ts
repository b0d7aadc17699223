import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { ExpandEnv } from '../credentials/expand.js';
import { FerryError } from '../errors.js';
import { Diagnostics, formatIssue, type ConfigIssue } from './diagnostics.js';
import { readRegistries } from './registries.js';
import { fields, isNull, readBool, readDuration, readInt, readMap, readString, yamlTag } from './scalars.js';
import { checkReferencedFiles } from './check-files.js';
import { readTask } from './task.js';
import {
  DEFAULT_CERTS_DIR,
  DEFAULT_LISTER_CACHE_MS,
  DEFAULT_LISTER_MAX_ITEMS,
  type FerryConfig,
  type ListerSettings,
  type TaskConfig,
} from './types.js';
import { parseYamlTree, type RawNode } from './yaml-tree.js';

export const TOP_LEVEL_KEYS = ['relay', 'watch', 'skopeo', 'docker', 'dockerhost', 'api-version', 'lister', 'tasks', 'registries'] as const;
const SKOPEO_KEYS = ['binary', 'certs-dir'] as const;
const DOCKER_KEYS = ['dockerhost', 'api-version'] as const;
const LISTER_KEYS = ['maxItems', 'cacheDuration'] as const;

export interface LoadOptions {
  /** unknown keys are errors instead of warnings */
  strict?: boolean;
  /** for `${ENV}` references, and DOCKER_CONFIG, HOME and PATH to check the Docker config; default process.env */
  env?: Readonly<Record<string, string | undefined>>;
  /** for `${file:/path}` references; default fs.readFileSync */
  readFile?: (path: string) => string;
}

export interface LoadedConfig {
  readonly config: FerryConfig;
  /** warnings and info notes, in file order; log them */
  readonly issues: readonly ConfigIssue[];
}

/**
 * Reads and validates a dregsy/ferry config file, and the files it points at (`${file:}` references, TLS
 * directories: see check-files.ts), so that an invalid config is refused before any connection. Touches no
 * network. Throws FerryError CONFIG_INVALID whose `context.issues` lists every error found (dregsy stops at the
 * first; ferry reports them all) and whose message is those errors, one `file:line: path: message` per line.
 */
export async function loadConfig(file: string, opts: LoadOptions = {}): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (code ?? 'read error');
    throw new FerryError('CONFIG_INVALID', `error loading config file '${file}': ${why}`, { file });
  }
  return loadConfigText(text, file, opts);
}

/** Like loadConfig, for text already in memory (`file` is used in messages), with the same file checks. */
export async function loadConfigText(text: string, file: string, opts: LoadOptions = {}): Promise<LoadedConfig> {
  const { d, config } = convertText(text, file, opts);
  if (config && d.errors.length === 0) await checkReferencedFiles(d, config, opts.env ?? process.env);
  return finish(d, config, file);
}

/** Like loadConfigText without reading the files the config points at (TLS directories): synchronous. */
export function parseConfig(text: string, file: string, opts: LoadOptions = {}): LoadedConfig {
  const { d, config } = convertText(text, file, opts);
  return finish(d, config, file);
}

function convertText(text: string, file: string, opts: LoadOptions): { d: Diagnostics; config: FerryConfig | undefined } {
  const d = new Diagnostics(file, opts.strict ?? false);
  const expand: ExpandEnv = { env: opts.env ?? process.env, readFile: opts.readFile ?? ((p) => readFileSync(p, 'utf8')) };
  const { root, problems } = parseYamlTree(text);
  for (const p of problems) {
    const message = p.code === 'yaml' ? `error parsing config file: ${p.message}` : p.message;
    if (p.severity === 'error') d.error(p.line, p.path ?? '', message, p.code, p.column);
    else d.warn(p.line, p.path ?? '', message, p.code, p.column);
  }
  let config: FerryConfig | undefined;
  if (problems.length === 0 && (root === undefined || isNull(root))) {
    // an unmounted ConfigMap or Secret key gives an empty file: running it would quietly do nothing, forever
    d.error(1, '', `the config file is empty (nothing but whitespace and comments), so it has no tasks: if it is mounted from a ConfigMap or Secret, check that the key exists and is mounted; otherwise add tasks: (an explicit "tasks: []" is allowed)`, 'empty-file');
  } else if (root !== undefined || problems.every((p) => p.severity !== 'error')) config = convert(d, root, expand, file);
  return { d, config };
}

function finish(d: Diagnostics, config: FerryConfig | undefined, file: string): LoadedConfig {
  const byLine = (a: ConfigIssue, b: ConfigIssue) => a.line - b.line || (a.column ?? 0) - (b.column ?? 0);
  const errors = d.errors.sort(byLine);
  if (errors.length > 0 || !config) {
    const lines = errors.map(formatIssue);
    const message = lines.length === 1 ? (lines[0] ?? '') : `config file '${file}' has ${lines.length} errors:\n${lines.join('\n')}`;
    throw new FerryError('CONFIG_INVALID', message, { file, line: errors[0]?.line, key: errors[0]?.path, issues: errors });
  }
  return { config, issues: d.issues.filter((i) => i.severity !== 'error').sort(byLine) };
}

function convert(d: Diagnostics, root: RawNode | undefined, expand: ExpandEnv, file: string): FerryConfig | undefined {
  if (root !== undefined && !isNull(root) && root.kind !== 'map') {
    d.error(root.line, '', `the config must be a mapping with keys such as relay: and tasks: (found ${yamlTag(root)})`);
    return undefined;
  }
  const m = root?.kind === 'map' ? root : { kind: 'map' as const, line: 1, entries: [] };
  const f = fields(d, m, '', TOP_LEVEL_KEYS);

  // relay and the Docker relay's keys (dregsy's checks, in its order)
  const relayNode = f('relay');
  const relayText = readString(d, relayNode, 'relay');
  let relay: 'docker' | 'skopeo' | undefined;
  if (relayText !== undefined && relayText !== '') {
    if (relayText === 'docker' || relayText === 'skopeo') relay = relayText;
    else d.error(relayNode?.line ?? 1, 'relay', `invalid relay type: '${relayText}', must be either 'docker' or 'skopeo'`);
  }
  const relayNotice = relay
    ? `relay: ${relay} is accepted for dregsy compatibility; ferry copies images itself, registry to registry, and runs neither skopeo nor Docker`
    : undefined;
  if (relay) d.info(relayNode?.line ?? 1, 'relay', relayNotice ?? '', 'relay');
  const dockerMap = readMap(d, f('docker'), 'docker');
  if (dockerMap) fields(d, dockerMap, 'docker', DOCKER_KEYS);
  const dockerhost = readString(d, f('dockerhost'), 'dockerhost');
  readString(d, f('api-version'), 'api-version');
  if (dockerhost !== undefined && relay === 'skopeo') {
    d.error(f('dockerhost')?.line ?? 1, 'dockerhost', `setting 'dockerhost' implies 'docker' relay, but relay is set to 'skopeo'`);
  }
  for (const key of ['docker', 'dockerhost', 'api-version'] as const) {
    const line = f.line(key);
    if (line !== undefined) d.info(line, key, `${key} is ignored: ferry talks to registries directly and needs no Docker daemon`, 'ignored');
  }

  const watchNode = f('watch');
  const watch = readBool(d, watchNode, 'watch');
  if (watch === undefined) d.info(1, 'watch', 'watch is not set: the config file is not watched for changes (set watch: true to restart on change)', 'watch');

  let certsDir = DEFAULT_CERTS_DIR;
  const skopeo = readMap(d, f('skopeo'), 'skopeo');
  if (skopeo) {
    const sf = fields(d, skopeo, 'skopeo', SKOPEO_KEYS);
    const binary = readString(d, sf('binary'), 'skopeo.binary');
    if (binary !== undefined) d.info(sf.line('binary') ?? skopeo.line, 'skopeo.binary', 'skopeo.binary is ignored: ferry does not run skopeo', 'ignored');
    certsDir = readString(d, sf('certs-dir'), 'skopeo.certs-dir') || DEFAULT_CERTS_DIR;
  }

  const lister = readListerSettings(d, f('lister'));
  const registries = readRegistries(d, f('registries'), expand);

  const tasks: TaskConfig[] = [];
  const tasksNode = f('tasks');
  if (tasksNode !== undefined && !isNull(tasksNode)) {
    if (tasksNode.kind !== 'seq') {
      d.error(tasksNode.line, 'tasks', `cannot unmarshal ${yamlTag(tasksNode)} into []*sync.Task: tasks is a list, start each task with "- name: …"`);
    } else {
      const ctx = { d, expand, registries, certsDir };
      tasksNode.items.forEach((n, i) => {
        const t = readTask(ctx, n, i);
        if (t) tasks.push(t);
      });
    }
  }
  const seen = new Map<string, TaskConfig>();
  for (const t of tasks) {
    const first = seen.get(t.name);
    if (first) d.warn(t.where.line, `tasks[${t.index}].name`, `task name "${t.name}" is also used on line ${first.where.line}: -run and logs cannot tell them apart`, 'duplicate-task');
    else seen.set(t.name, t);
  }
  if (tasksNode === undefined || isNull(tasksNode)) d.warn(1, 'tasks', 'the config has no tasks: there is nothing to do', 'no-tasks');
  else if (tasksNode.kind === 'seq' && tasksNode.items.length === 0) d.warn(tasksNode.line, 'tasks', 'tasks: [] lists no tasks: there is nothing to do', 'no-tasks');
  return {
    file,
    relay,
    relayNotice,
    watch: watch ?? false,
    watchExplicit: watch !== undefined,
    certsDir,
    lister,
    registries,
    tasks,
  };
}

function readListerSettings(d: Diagnostics, n: RawNode | undefined): ListerSettings {
  const m = readMap(d, n, 'lister');
  if (!m) return { maxItems: DEFAULT_LISTER_MAX_ITEMS, cacheDurationMs: DEFAULT_LISTER_CACHE_MS };
  const f = fields(d, m, 'lister', LISTER_KEYS);
  const max = readInt(d, f('maxItems'), 'lister.maxItems') ?? 0;
  let maxItems: number | null = max === 0 ? DEFAULT_LISTER_MAX_ITEMS : max;
  if (max < 0) {
    d.warn(f('maxItems')?.line ?? m.line, 'lister.maxItems', 'lister.maxItems is negative: the number of listed repositories is not limited', 'lister');
    maxItems = null;
  }
  const dur = readDuration(d, f('cacheDuration'), 'lister.cacheDuration');
  let cacheDurationMs = dur === undefined || dur.ms === 0 ? DEFAULT_LISTER_CACHE_MS : dur.ms;
  const line = f('cacheDuration')?.line ?? m.line;
  if (dur && dur.ms < 0) {
    d.warn(line, 'lister.cacheDuration', 'lister.cacheDuration is negative: repository lists are not cached', 'lister');
    cacheDurationMs = 0;
  } else if (dur && dur.bareNumber && dur.ms > 0 && dur.ms < 1000) {
    const n = f('cacheDuration');
    const text = n?.kind === 'scalar' ? n.text : '';
    d.warn(line, 'lister.cacheDuration', `a bare number is nanoseconds (as in dregsy), so ${text} caches for ${dur.ms} ms, effectively not at all; write ${text}s or a duration such as 1h`, 'lister');
  }
  return { maxItems, cacheDurationMs };
}
