import './zod-config';
import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { createWebApi } from './web-api';

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

mount(App, { target: document.getElementById('app')! });
