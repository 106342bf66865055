/** Where the user is: the overview, a host, or one container of a host. Kept in the URL's hash. */
export type Route = { page: 'overview' } | { page: 'host'; host: string } | { page: 'container'; host: string; container: string; snapshot?: string };

export function parseRoute(hash: string): Route {
  // Web mode's first address carries the token ahead of the route: `#token=…&/host/…`.
  const parts = hash.replace(/^#token=[^&]*&?/, '#').replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'host' && parts[1] && parts[2] === 'container' && parts[3]) {
    return parts[4] === 'snapshot' && parts[5] ? { page: 'container', host: parts[1], container: parts[3], snapshot: parts[5] } : { page: 'container', host: parts[1], container: parts[3] };
  }
  if (parts[0] === 'host' && parts[1]) return { page: 'host', host: parts[1] };
  return { page: 'overview' };
}

export function routeHash(route: Route): string {
  const e = encodeURIComponent;
  if (route.page === 'container') return `#/host/${e(route.host)}/container/${e(route.container)}${route.snapshot ? `/snapshot/${e(route.snapshot)}` : ''}`;
  if (route.page === 'host') return `#/host/${e(route.host)}`;
  return '#/';
}

/** The window's title: the page first, then where it is (`container · host · COI Desktop`, `snap-… · container · COI Desktop`). */
export function pageTitle(route: Route): string {
  if (route.page === 'container') return route.snapshot ? `${route.snapshot} · ${route.container} · COI Desktop` : `${route.container} · ${route.host} · COI Desktop`;
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
