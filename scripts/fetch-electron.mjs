// postinstall: fetches the Electron binary with electron's own installer, within a time limit. Where its download
// host cannot be reached, says so in one line and succeeds anyway: only the desktop app needs the binary.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const limitMs = Number(process.env.AIRLOCK_ELECTRON_DOWNLOAD_TIMEOUT_MS ?? 180_000);
const NOT_DOWNLOADED =
  'Electron binary not downloaded (no access to its download host); the desktop app needs it, `airlock serve` does not';

function electronBinary() {
  try {
    const path = require('electron');
    return typeof path === 'string' && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

function done(line) {
  console.log(line);
  process.exit(0);
}

if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) done('Electron binary download skipped (ELECTRON_SKIP_BINARY_DOWNLOAD)');
if (electronBinary()) process.exit(0);

let installer;
try {
  installer = require.resolve('electron/install.js');
} catch {
  done('Electron is not installed (no node_modules/electron); the desktop app needs it, `airlock serve` does not');
}

const child = spawn(process.execPath, [installer], { stdio: ['ignore', 'ignore', 'pipe'] });
let stderr = '';
child.stderr.on('data', (chunk) => {
  stderr = (stderr + chunk).slice(-4000);
});
const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
child.on('exit', () => {
  clearTimeout(timer);
  const binary = electronBinary();
  if (binary) done(`Electron binary ready: ${binary}`);
  if (process.env.AIRLOCK_VERBOSE && stderr) console.error(stderr.trim());
  done(NOT_DOWNLOADED);
});
child.on('error', () => done(NOT_DOWNLOADED));
