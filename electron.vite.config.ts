import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

export default defineConfig({
  main: {
    build: {
      // The CLI starts fast when its packages are bundled in (one file read instead of hundreds of
      // module look-ups, unused code left out). ssh2 stays a package: it carries native add-ons, and
      // is loaded on the first SSH connection only.
      externalizeDeps: { exclude: ['commander', 'undici', 'zod', 'proper-lockfile', 'ssh-config'] },
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src/main/index.ts'),
          cli: resolve(__dirname, 'src/main/cli/main.ts'),
        },
        // Chunks sit beside the entries, so `__dirname` is out/main in every one (web mode finds ../renderer).
        output: { chunkFileNames: '[name]-[hash].js' },
      },
    },
  },
  preload: {
    // A sandboxed preload cannot require() packages: everything but electron is bundled in.
    build: { externalizeDeps: false, rollupOptions: { input: { index: resolve(__dirname, 'src/preload/index.ts') } } },
  },
  renderer: {
    root: resolve(__dirname, 'src/renderer'),
    build: {
      // Fewer bytes to fetch and parse before the first paint (electron-vite leaves the renderer unminified).
      minify: true,
      rollupOptions: {
        input: { index: resolve(__dirname, 'src/renderer/index.html') },
        // Building a zod schema has no effect beyond its value: one the renderer does not use is left out.
        treeshake: { manualPureFunctions: ['z'] },
      },
    },
    plugins: [svelte({ configFile: resolve(__dirname, 'svelte.config.mjs') })],
  },
});
