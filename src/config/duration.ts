/** Go's `time.ParseDuration`, returning nanoseconds; undefined for invalid input. */
const UNITS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3, // U+00B5
  'μs': 1e3, // U+03BC
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};
const MAX_NS = 2 ** 63 - 1;

export function parseGoDuration(s: string): number | undefined {
  let rest = s;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest[0] === '-') sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') return undefined;
  let total = 0;
  while (rest !== '') {
    const m = /^([0-9]*)(?:\.([0-9]*))?/.exec(rest);
    const int = m?.[1] ?? '';
    const frac = m?.[2];
    if (int === '' && (frac === undefined || frac === '')) return undefined;
    rest = rest.slice(m?.[0].length ?? 0);
    const u = /^[^0-9.]+/.exec(rest)?.[0];
    if (u === undefined) return undefined; // missing unit
    const unit = UNITS[u];
    if (unit === undefined) return undefined;
    rest = rest.slice(u.length);
    total += Number(int || '0') * unit + (frac ? Number(`0.${frac}`) * unit : 0);
    if (total > MAX_NS) return undefined;
  }
  return sign * Math.trunc(total);
}

/** Formats milliseconds the Go way (1h30m0s), for messages. */
export function formatDurationMs(ms: number): string {
  if (ms === 0) return '0s';
  const neg = ms < 0;
  let rest = Math.abs(ms);
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = rest / 1000;
  const txt = h > 0 ? `${h}h${m}m${s}s` : m > 0 ? `${m}m${s}s` : `${s}s`;
  return neg ? `-${txt}` : txt;
}
