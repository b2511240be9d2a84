import type { LiveSubscribe } from '@ftpscope/shared';
import type { Route } from './routes.ts';

/** What `/ws/live` should follow: every host ('*') or a list (possibly empty). */
export type LiveHosts = LiveSubscribe['hosts'];

/**
 * The hosts whose live events the route's view shows, so a view of one quiet host does not parse the
 * stream of a busy one. `null` for the session and trace views: their host is known only once they have
 * loaded, and the view follows it then.
 */
export function liveHostsFor(route: Route): LiveHosts | null {
  switch (route.name) {
    case 'host':
      return route.params.host ? [route.params.host] : [];
    case 'session':
    case 'trace':
      return null;
    case 'drops':
    case 'diagnoses':
      return route.query.host ? [route.query.host] : '*';
    case 'fleet':
    case 'investigate':
    case 'collectors':
      return '*';
    default:
      return [];
  }
}

/** A canonical key of a subscription, so an unchanged set is not sent again. */
export function liveHostsKey(hosts: LiveHosts): string {
  return hosts === '*' ? '*' : JSON.stringify([...new Set(hosts)].sort());
}

/** True when `next` follows a host that `prev` did not, i.e. events of that host may have been missed. */
export function widens(prev: LiveHosts, next: LiveHosts): boolean {
  if (prev === '*') return false;
  if (next === '*') return true;
  const had = new Set(prev);
  return next.some((h) => !had.has(h));
}
