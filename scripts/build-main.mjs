// Builds the Electron side into dist/main: index.js (ESM, main + the embedded gateway, packages left external),
// preload.cjs and prompt-preload.cjs (CommonJS: sandboxed preloads cannot load ES modules), and the icons.
import { build } from 'esbuild';
import { cpSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'main');

rmSync(out, { recursive: true, force: true });

await build({
  absWorkingDir: root,
  entryPoints: { index: 'main/index.ts' },
  outdir: out,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  // electron, sqlite3 (native), pino, express… load from node_modules at run time (asar-unpacked where native).
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});

await build({
  absWorkingDir: root,
  entryPoints: { preload: 'main/preload.ts', 'prompt-preload': 'main/prompt-preload.ts' },
  outdir: out,
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'chrome130',
  external: ['electron'],
  sourcemap: true,
  logLevel: 'warning',
});

cpSync(join(root, 'main', 'assets'), join(out, 'assets'), { recursive: true });
console.log(`built ${out}`);
