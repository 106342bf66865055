import { mount } from 'svelte';
import App from './App.svelte';
import { createWebApi } from './web-api';

// In Electron the preload has exposed window.coi; in a browser tab, web mode provides the same contract.
if (!('coi' in window)) Object.defineProperty(window, 'coi', { value: createWebApi() });

mount(App, { target: document.getElementById('app')! });
