import { app } from './lib/app-state.svelte';
import { router } from './lib/router.svelte';
import { createWebApi } from './web-api';

// main.ts's first import: evaluated before the page's components, so the first reads are on their way
// while the page is built rather than after it.

const TOKEN_KEY = 'coi-desktop-token';

/**
 * The token web mode printed (`#token=…`, optionally followed by `&/host/…` to open a page): kept for
 * this tab, and taken out of the address bar, leaving the page's own part of the hash.
 */
function takeToken(): string {
  const match = /^#token=([^&]+)&?(.*)$/.exec(location.hash);
  if (match) {
    sessionStorage.setItem(TOKEN_KEY, match[1]!);
    history.replaceState(null, '', `${location.pathname}${location.search}${match[2] ? `#${match[2]}` : ''}`);
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

// In Electron the preload has exposed window.coi; in a browser tab, web mode provides the same contract.
if (!('coi' in window)) Object.defineProperty(window, 'coi', { value: createWebApi(takeToken()) });

app.start();
// A page opened directly reads what it shows first, not after every host has answered (a container page reads its container itself).
if (router.route.page === 'diff') void app.refreshContainer(router.route.host, router.route.container);
else if (router.route.page === 'host') void app.refreshHost(router.route.host);
