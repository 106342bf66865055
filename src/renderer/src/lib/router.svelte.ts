/**
 * Where the user is: the overview, a host, one container of a host (on one of its tabs), or the changes
 * in a container since one of its snapshots (`to` unset: until now) or between two. Kept in the URL's hash.
 */
export type Route =
  | { page: 'overview' }
  | { page: 'host'; host: string }
  | { page: 'container'; host: string; container: string; snapshot?: string; tab?: ContainerTab }
  | { page: 'diff'; host: string; container: string; from: string; to?: string };

/** The container page's tabs: its snapshots (the default), or its schedule and retention policy (`…/schedule`). */
export type ContainerTab = 'snapshots' | 'schedule';

export function parseRoute(hash: string): Route {
  // Web mode's first address carries the token ahead of the route: `#token=…&/host/…`.
  const parts = hash.replace(/^#token=[^&]*&?/, '#').replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'host' && parts[1] && parts[2] === 'container' && parts[3]) {
    if (parts[4] === 'changes' && parts[5]) return { page: 'diff', host: parts[1], container: parts[3], from: parts[5] };
    if (parts[4] === 'compare' && parts[5] && parts[6]) return { page: 'diff', host: parts[1], container: parts[3], from: parts[5], to: parts[6] };
    if (parts[4] === 'snapshot' && parts[5]) return { page: 'container', host: parts[1], container: parts[3], snapshot: parts[5] };
    return parts[4] === 'schedule' ? { page: 'container', host: parts[1], container: parts[3], tab: 'schedule' } : { page: 'container', host: parts[1], container: parts[3] };
  }
  if (parts[0] === 'host' && parts[1]) return { page: 'host', host: parts[1] };
  return { page: 'overview' };
}

export function routeHash(route: Route): string {
  const e = encodeURIComponent;
  if (route.page === 'diff') return `#/host/${e(route.host)}/container/${e(route.container)}/${route.to ? `compare/${e(route.from)}/${e(route.to)}` : `changes/${e(route.from)}`}`;
  if (route.page === 'container') return `#/host/${e(route.host)}/container/${e(route.container)}${route.snapshot ? `/snapshot/${e(route.snapshot)}` : route.tab === 'schedule' ? '/schedule' : ''}`;
  if (route.page === 'host') return `#/host/${e(route.host)}`;
  return '#/';
}

/** The window's title: the page first, then where it is (`container · host · COI Desktop`, `snap-… · container · COI Desktop`). */
export function pageTitle(route: Route): string {
  if (route.page === 'diff') return `${route.to ? `${route.from} → ${route.to}` : `Changes since ${route.from}`} · ${route.container} · COI Desktop`;
  if (route.page === 'container') {
    if (route.snapshot) return `${route.snapshot} · ${route.container} · COI Desktop`;
    return `${route.tab === 'schedule' ? 'Schedule and retention · ' : ''}${route.container} · ${route.host} · COI Desktop`;
  }
  if (route.page === 'host') return `${route.host} · COI Desktop`;
  return 'Overview · COI Desktop';
}

class Router {
  route = $state<Route>(parseRoute(location.hash));

  constructor() {
    addEventListener('hashchange', () => {
      this.route = parseRoute(location.hash);
    });
  }

  go(route: Route): void {
    const hash = routeHash(route);
    if (location.hash !== hash) location.hash = hash;
    this.route = route;
  }
}

export const router = new Router();
