/** Where the user is: the overview, a host, or one container of a host. Kept in the URL's hash. */
export type Route = { page: 'overview' } | { page: 'host'; host: string } | { page: 'container'; host: string; container: string };

export function parseRoute(hash: string): Route {
  // Web mode's first address carries the token ahead of the route: `#token=…&/host/…`.
  const parts = hash.replace(/^#token=[^&]*&?/, '#').replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'host' && parts[1] && parts[2] === 'container' && parts[3]) return { page: 'container', host: parts[1], container: parts[3] };
  if (parts[0] === 'host' && parts[1]) return { page: 'host', host: parts[1] };
  return { page: 'overview' };
}

export function routeHash(route: Route): string {
  const e = encodeURIComponent;
  if (route.page === 'container') return `#/host/${e(route.host)}/container/${e(route.container)}`;
  if (route.page === 'host') return `#/host/${e(route.host)}`;
  return '#/';
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
