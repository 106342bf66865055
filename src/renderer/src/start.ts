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

app.start();
// A page opened directly reads what it shows first, not after every host has answered, and its code is
// fetched at once, beside the first script's own work.
const route = router.route;
if (route.page === 'container') {
  void parts.containerPage().catch(() => undefined); // a failure shows when the page asks again (App.svelte)
  app.readFirst(route.host, route.container);
} else if (route.page === 'diff') {
  void parts.diffPage().catch(() => undefined);
  void app.refreshContainer(route.host, route.container);
} else if (route.page === 'host') {
  void parts.hostPage().catch(() => undefined);
  void app.refreshHost(route.host);
}
// Once the reads are on their way (the first use of web storage waits on the browser): the token is kept
// for this tab and taken out of the address bar, leaving the page's own part of the hash.
if (given) {
  sessionStorage.setItem(TOKEN_KEY, given[1]!);
  history.replaceState(null, '', `${location.pathname}${location.search}${given[2] ? `#${given[2]}` : ''}`);
}
