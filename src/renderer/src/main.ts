import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { createWebApi } from './web-api';

const TOKEN_KEY = 'coi-desktop-token';

/** The token web mode printed (`#token=…`): kept for this tab, and taken out of the address bar. */
function takeToken(): string {
  const fromHash = /(?:^#|&)token=([^&]+)/.exec(location.hash)?.[1];
  if (fromHash) {
    sessionStorage.setItem(TOKEN_KEY, fromHash);
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

// In Electron the preload has exposed window.coi; in a browser tab, web mode provides the same contract.
if (!('coi' in window)) Object.defineProperty(window, 'coi', { value: createWebApi(takeToken()) });

mount(App, { target: document.getElementById('app')! });
