/** What `ferry list-tags` prints: text for people, or skopeo's JSON shape (with ferry's additions) for scripts. */

export interface TagListing {
  /** `registry/repository`, as skopeo names it (`docker.io/library/redis`) */
  repository: string;
  /** the tags in the registry's order */
  tags: string[];
  /** with --tags: what a sync would select, and why every other listed tag is left out */
  selection?: {
    /** the references a sync copies, in its order: `tag`, `sha256:…` or `tag@sha256:…` */
    selected: string[];
    /** listed tags not selected, in listing order, each with the rule that left it out */
    filtered: Array<{ tag: string; reason: string }>;
    /** selected references the repository does not have (a sync reports them missing) */
    missing: string[];
  };
  /** with --digests: per tag (or selected reference) its digest; null: no such manifest; undefined: none sent */
  digests?: Map<string, string | null | undefined>;
}

export function formatTagListing(l: TagListing, format: 'text' | 'json'): string {
  return format === 'json' ? toJson(l) : toText(l);
}

/**
 * skopeo's `{"Repository", "Tags"}` (Go's MarshalIndent with four spaces: byte for byte the same without
 * --tags and --digests); then "Selected", "Filtered" ([{"Tag", "Reason"}]) and "Missing" with --tags, and
 * "Digests" ({reference: digest or null}) with --digests.
 */
function toJson(l: TagListing): string {
  const doc: Record<string, unknown> = { Repository: l.repository, Tags: l.tags };
  if (l.selection) {
    doc.Selected = l.selection.selected;
    doc.Filtered = l.selection.filtered.map((f) => ({ Tag: f.tag, Reason: f.reason }));
    doc.Missing = l.selection.missing;
  }
  if (l.digests) doc.Digests = Object.fromEntries([...l.digests].filter(([, d]) => d !== undefined));
  return JSON.stringify(doc, null, 4) + '\n';
}

function toText(l: TagListing): string {
  const digestOf = (key: string): string => {
    const d = l.digests?.get(key);
    return d === undefined ? 'no digest sent (the registry answered the HEAD without one)' : d === null ? 'not found' : d;
  };
  if (!l.selection) {
    if (!l.digests) return l.tags.map((t) => `${t}\n`).join('');
    const width = Math.max(0, ...l.tags.map((t) => t.length));
    return l.tags.map((t) => `${t.padEnd(width)}  ${digestOf(t)}\n`).join('');
  }
  const s = l.selection;
  const missing = new Set(s.missing);
  const width = Math.max(0, ...s.selected.map((k) => k.length), ...s.filtered.map((f) => f.tag.length));
  const lines = [`selected (${s.selected.length}):`];
  for (const key of s.selected) {
    const note = missing.has(key) ? 'not found in the repository: a sync reports it missing' : l.digests ? digestOf(key) : '';
    lines.push(`  ${note ? `${key.padEnd(width)}  ${note}` : key}`);
  }
  lines.push(`filtered out (${s.filtered.length}):`);
  for (const f of s.filtered) lines.push(`  ${f.tag.padEnd(width)}  ${f.reason}`);
  return lines.join('\n') + '\n';
}
