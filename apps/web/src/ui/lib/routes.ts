/** The views of the app; each is reachable by a shareable `#/...` URL with its filters in the query. */
export type RouteName =
  | 'fleet'
  | 'host'
  | 'session'
  | 'drops'
  | 'investigate'
  | 'diagnoses'
  | 'collectors'
  | 'trace'
  | 'not-found';

/** A parsed location: view, path parameters and query. */
export interface Route {
  name: RouteName;
  params: Record<string, string>;
  query: Record<string, string>;
}

const PATTERNS: { name: RouteName; re: RegExp; keys: string[] }[] = [
  { name: 'fleet', re: /^\/?$/, keys: [] },
  { name: 'host', re: /^\/hosts\/([^/]+)\/?$/, keys: ['host'] },
  { name: 'session', re: /^\/sessions\/([^/]+)\/?$/, keys: ['id'] },
  { name: 'drops', re: /^\/drops\/?$/, keys: [] },
  { name: 'investigate', re: /^\/investigate\/?$/, keys: [] },
  { name: 'diagnoses', re: /^\/diagnoses\/?$/, keys: [] },
  { name: 'collectors', re: /^\/collectors\/?$/, keys: [] },
  { name: 'trace', re: /^\/traces\/([^/]+)\/?$/, keys: ['id'] },
];

/** Parse `#/hosts/a?client=1.2.3.4` (the leading `#` optional). */
export function parseHash(hash: string): Route {
  const raw = hash.replace(/^#/, '');
  const q = raw.indexOf('?');
  const path = q < 0 ? raw : raw.slice(0, q);
  const query = Object.fromEntries(new URLSearchParams(q < 0 ? '' : raw.slice(q + 1)));
  for (const p of PATTERNS) {
    const m = p.re.exec(path);
    if (!m) continue;
    const params: Record<string, string> = {};
    p.keys.forEach((k, i) => {
      params[k] = decodeURIComponent(m[i + 1] ?? '');
    });
    return { name: p.name, params, query };
  }
  return { name: 'not-found', params: { path }, query };
}

/** Build a `#/...` link; empty and undefined query values are left out. */
export function href(path: string, query: Record<string, string | number | undefined | null> = {}): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== '') qs.set(k, String(v));
  }
  const s = qs.toString();
  return `#${path}${s ? `?${s}` : ''}`;
}

/** Links to each view, so components never assemble paths by hand. */
export const links = {
  fleet: () => href('/'),
  host: (host: string, query: Record<string, string | undefined> = {}) =>
    href(`/hosts/${encodeURIComponent(host)}`, query),
  session: (id: string) => href(`/sessions/${encodeURIComponent(id)}`),
  drops: (query: Record<string, string | number | undefined> = {}) => href('/drops', query),
  investigate: (query: Record<string, string | number | undefined> = {}) => href('/investigate', query),
  diagnoses: (query: Record<string, string | undefined> = {}) => href('/diagnoses', query),
  collectors: () => href('/collectors'),
  trace: (id: string) => href(`/traces/${encodeURIComponent(id)}`),
};
