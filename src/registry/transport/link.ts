/**
 * `Link` header parsing (RFC 8288) for tag/catalog/referrers pagination.
 *
 * fetch joins repeated headers with `", "`, so one value may hold several link-values; commas inside `<…>` URLs and
 * quoted parameters do not split them. Distribution emits path-only links (`</v2/_catalog?last=b&n=2>; rel="next"`),
 * which are resolved against the URL of the request that returned them.
 */

/**
 * The absolute URL of the first link whose `rel` (quoted or not, case-insensitive, possibly a space-separated list)
 * contains `next`. Undefined when there is none, when it does not resolve, or when it is not http(s).
 */
export function parseNextLink(header: string | string[] | undefined, requestUrl: string): string | undefined {
  if (header === undefined) return undefined;
  const values = Array.isArray(header) ? header : [header];
  for (const v of values) {
    if (typeof v !== 'string') continue;
    for (const link of splitLinks(v)) {
      if (!link.rels.includes('next')) continue;
      let url: URL;
      try {
        url = new URL(link.target, requestUrl);
      } catch {
        continue;
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') continue;
      return url.toString();
    }
  }
  return undefined;
}

interface LinkValue {
  target: string;
  rels: string[];
}

/** Splits a header value into link-values, respecting `<…>` and quoted strings. */
function splitLinks(s: string): LinkValue[] {
  const out: LinkValue[] = [];
  const n = s.length;
  let i = 0;
  while (i < n) {
    const open = s.indexOf('<', i);
    if (open < 0) break;
    const close = s.indexOf('>', open + 1);
    if (close < 0) break;
    const target = s.slice(open + 1, close).trim();
    i = close + 1;
    // parameters up to the next top-level comma
    const rels: string[] = [];
    while (i < n && s[i] !== ',') {
      if (s[i] !== ';') {
        i++;
        continue;
      }
      i++;
      const m = /^\s*([A-Za-z0-9!#$%&'*+\-.^_`|~]+\*?)\s*(=\s*)?/.exec(s.slice(i));
      if (!m) continue;
      i += m[0].length;
      const name = (m[1] ?? '').toLowerCase();
      let value = '';
      if (m[2] !== undefined) {
        if (s[i] === '"') {
          i++;
          while (i < n && s[i] !== '"') {
            if (s[i] === '\\' && i + 1 < n) i++;
            value += s[i];
            i++;
          }
          i++; // closing quote
        } else {
          const start = i;
          while (i < n && s[i] !== ';' && s[i] !== ',' && s[i] !== ' ' && s[i] !== '\t') i++;
          value = s.slice(start, i);
        }
      }
      // RFC 8288 §3.3: only the first rel parameter counts
      if (name === 'rel' && rels.length === 0) {
        rels.push(...value.toLowerCase().split(/\s+/).filter((r) => r !== ''));
      }
    }
    out.push({ target, rels });
  }
  return out;
}
