// Random bytes for the per-request path (ids, session keys, IVs): drawn from a pool the CSPRNG fills 4 KB at a time,
// as one system call per request for each small value costs more than the encryption it serves. Every draw is a copy
// of bytes never handed out before.
import { randomFillSync } from 'node:crypto';

const POOL = 4096;
let pool = Buffer.alloc(0);
let offset = 0;

export function randomBytesPooled(size: number): Buffer {
  if (size > POOL / 4) return randomFillSync(Buffer.allocUnsafe(size));
  if (offset + size > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(POOL));
    offset = 0;
  }
  const out = Buffer.allocUnsafe(size);
  pool.copy(out, 0, offset, offset + size);
  pool.fill(0, offset, offset + size);
  offset += size;
  return out;
}
