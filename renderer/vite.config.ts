// Builds the reviewer console into renderer/dist: external script and style files only, so the
// gateway's strict Content-Security-Policy (script-src 'self', style-src 'self') holds.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: './',
  plugins: [vue()],
  build: {
    outDir: fileURLToPath(new URL('./dist', import.meta.url)),
    emptyOutDir: true,
    // Inlined assets would become data: URLs; keep everything as files the CSP allows by 'self'.
    assetsInlineLimit: 0,
    // The o200k tokenizer table (2 MB) is its own lazy chunk, fetched only when a reviewer edits.
    chunkSizeWarningLimit: 2100,
  },
  server: {
    // `vite --config renderer/vite.config.ts` against a local gateway during development.
    proxy: { '/api': 'http://127.0.0.1:8787' },
  },
});
