import { app } from './lib/app-state.svelte';
import { parts } from './lib/lazy';
import { router } from './lib/router.svelte';
import { createWebApi } from './web-api';

// main.ts's first import: evaluated before the page's components, so the first reads are on their way
// while the page is built rather than after it.

const TOKEN_KEY = 'coi-desktop-token';

/**
 * The token web mode printed (`#token=…`, optionally followed by `&/host/…` to open a page), or the one
 * this tab kept from it (a reload).
 */
const given = /^#token=([^&]+)&?(.*)$/.exec(location.hash);
const token = () => given?.[1] ?? sessionStorage.getItem(TOKEN_KEY) ?? '';

// In Electron the preload has exposed window.coi; in a browser tab, web mode provides the same contract.
if (!('coi' in window)) Object.defineProperty(window, 'coi', { value: createWebApi(token()) });

// A page opened directly reads what it shows first and fetches its code at once; the overview's reads (the
// sidebar's hosts) follow once that code is here, so web mode's server answers the page's own requests
// before it builds the overview's (5,000 rows are tens of milliseconds of its time).
const route = router.route;
if (route.page === 'overview') {
  app.start();
} else {
  const code = route.page === 'container' ? parts.containerPage() : route.page === 'diff' ? parts.diffPage() : parts.hostPage();
  if (route.page === 'container') app.readFirst(route.host, route.container);
  else if (route.page === 'diff') void app.refreshContainer(route.host, route.container);
  else void app.refreshHost(route.host);
  // A failure shows when App asks for the code again; the overview's reads go out all the same.
  void code.catch(() => undefined).finally(() => app.start());
}
// Once the reads are on their way (the first use of web storage waits on the browser): the token is kept
// for this tab and taken out of the address bar, leaving the page's own part of the hash.
if (given) {
  sessionStorage.setItem(TOKEN_KEY, given[1]!);
  history.replaceState(null, '', `${location.pathname}${location.search}${given[2] ? `#${given[2]}` : ''}`);
}
