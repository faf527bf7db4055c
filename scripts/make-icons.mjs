// Draws Airlock's icons (a hatch: a ring with a bar across) into build/ and main/assets/ as PNG, no dependencies.
// Run once after changing the drawing: node scripts/make-icons.mjs
import { deflateSync } from 'node:zlib';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
function png(size, rgba) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // RGBA
  const raw = Buffer.alloc((size * 4 + 1) * size);
  for (let y = 0; y < size; y++) rgba.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Shapes in unit coordinates (0..1); returns which paint covers a point, or null. */
function hatch(x, y, { plate }) {
  const dx = x - 0.5;
  const dy = y - 0.5;
  const r = Math.hypot(dx, dy);
  const ring = r >= 0.25 && r <= 0.35;
  const bar = Math.abs(dy) <= 0.045 && Math.abs(dx) <= 0.3;
  const hub = r <= 0.08;
  if (ring || bar || hub) return 'mark';
  if (plate) {
    const m = 0.06;
    const rad = 0.2;
    const qx = Math.max(Math.abs(dx) - (0.5 - m - rad), 0);
    const qy = Math.max(Math.abs(dy) - (0.5 - m - rad), 0);
    if (Math.hypot(qx, qy) <= rad) return 'plate';
  }
  return null;
}

function draw(size, paints, opts) {
  const rgba = Buffer.alloc(size * size * 4);
  const ss = 4;
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const acc = [0, 0, 0, 0];
      for (let sy = 0; sy < ss; sy++) {
        for (let sx = 0; sx < ss; sx++) {
          const paint = hatch((px + (sx + 0.5) / ss) / size, (py + (sy + 0.5) / ss) / size, opts);
          if (!paint) continue;
          const [r, g, b, a] = paints[paint];
          acc[0] += r * a;
          acc[1] += g * a;
          acc[2] += b * a;
          acc[3] += a;
        }
      }
      const i = (py * size + px) * 4;
      const alpha = acc[3] / (ss * ss);
      if (acc[3] > 0) {
        rgba[i] = Math.round(acc[0] / acc[3]);
        rgba[i + 1] = Math.round(acc[1] / acc[3]);
        rgba[i + 2] = Math.round(acc[2] / acc[3]);
      }
      rgba[i + 3] = Math.round(alpha);
    }
  }
  return png(size, rgba);
}

const colour = { plate: [22, 78, 99, 255], mark: [240, 249, 255, 255] };
const template = { mark: [0, 0, 0, 255] };

const out = (path, data) => {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), data);
};
out('build/icon.png', draw(1024, colour, { plate: true }));
out('main/assets/icon.png', draw(256, colour, { plate: true }));
out('main/assets/tray.png', draw(32, colour, { plate: true }));
out('main/assets/tray@2x.png', draw(64, colour, { plate: true }));
out('main/assets/trayTemplate.png', draw(16, template, { plate: false }));
out('main/assets/trayTemplate@2x.png', draw(32, template, { plate: false }));
console.log('icons written');
