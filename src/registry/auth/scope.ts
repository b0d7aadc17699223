/**
 * Token scopes (`docs/content/spec/auth/scope.md`): `resourcetype ":" resourcename ":" action [ "," action ]*`.
 *
 * The resource name may contain `host:port`, so a scope is split as "type = before the first `:`, actions = after
 * the last `:`". A deprecated resource class (`repository(plugin)`) is dropped from the type.
 */

export interface Scope {
  type: string;
  name: string;
  actions: string[];
}

const ACTION_RANK: Record<string, number> = { pull: 0, push: 1, delete: 2, '*': 3 };

/** Parses one resource scope; undefined when it has no type or no name. Actions may be empty (`repository:a:`). */
export function parseScope(s: string): Scope | undefined {
  const t = s.trim();
  const first = t.indexOf(':');
  const last = t.lastIndexOf(':');
  if (first <= 0 || last === first) return undefined;
  const type = t.slice(0, first).replace(/\(.*\)$/, '');
  const name = t.slice(first + 1, last);
  if (type === '' || name === '' || /\s/.test(t)) return undefined;
  const actions = t
    .slice(last + 1)
    .split(',')
    .map((a) => a.trim())
    .filter((a) => a !== '');
  return { type, name, actions };
}

/** `repository:a/b:pull,push`; actions are written as given. */
export function formatScope(s: Scope): string {
  return `${s.type}:${s.name}:${s.actions.join(',')}`;
}

/** Deduplicates actions and orders them pull, push, delete, `*`, then the rest alphabetically; `*` subsumes all. */
function normalizeActions(actions: Iterable<string>): string[] {
  const set = new Set(actions);
  if (set.has('*')) return ['*'];
  return [...set].sort((a, b) => {
    const ra = ACTION_RANK[a] ?? 4;
    const rb = ACTION_RANK[b] ?? 4;
    if (ra !== rb) return ra - rb;
    return a < b ? -1 : a > b ? 1 : 0;
  });
}

/** Groups scopes into a map from `type:name` to the union of their actions. Inputs may be space-separated lists. */
function collect(scopes: Iterable<string>): Map<string, { type: string; name: string; actions: Set<string> }> {
  const byResource = new Map<string, { type: string; name: string; actions: Set<string> }>();
  for (const entry of scopes) {
    for (const part of entry.split(/\s+/)) {
      if (part === '') continue;
      const sc = parseScope(part);
      if (!sc) continue;
      const key = `${sc.type}:${sc.name}`;
      let r = byResource.get(key);
      if (!r) {
        r = { type: sc.type, name: sc.name, actions: new Set() };
        byResource.set(key, r);
      }
      for (const a of sc.actions) r.actions.add(a);
    }
  }
  return byResource;
}

/**
 * Unions actions per (type, name). Each input may itself be a space-separated list (a challenge's `scope`).
 * Unparsable entries and resources left without any action are dropped. The output is sorted by `type:name`
 * (code-unit order) with normalized actions, so it can serve as a token-cache key.
 */
export function mergeScopes(scopes: Iterable<string>): string[] {
  const byResource = collect(scopes);
  const keys = [...byResource.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out: string[] = [];
  for (const k of keys) {
    const r = byResource.get(k);
    if (!r || r.actions.size === 0) continue;
    out.push(formatScope({ type: r.type, name: r.name, actions: normalizeActions(r.actions) }));
  }
  return out;
}

/** `repository:<repo>:<actions>` with normalized actions (`['push','pull']` → `repository:a:pull,push`). */
export function repositoryScope(repo: string, actions: string[]): string {
  // the two scopes every HEAD and GET asks for, without sorting anything (they are already in normal form)
  if (actions.length === 1 && actions[0] === 'pull') return `repository:${repo}:pull`;
  if (actions.length === 2 && actions[0] === 'pull' && actions[1] === 'push') return `repository:${repo}:pull,push`;
  return formatScope({ type: 'repository', name: repo, actions: normalizeActions(actions) });
}
