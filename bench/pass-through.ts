// The baseline: a bare node:http pass-through with a kept-alive agent, nothing else. Run as a script, it serves in a
// process of its own (`tsx bench/pass-through.ts TARGET_URL`) and prints its URL.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';

export async function startPassThrough(target: string): Promise<{ url: string; close: () => Promise<void> }> {
  const upstreamAgent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const server = http.createServer((req, res) => {
    const up = http.request(`${target}${req.url}`, { method: req.method, headers: req.headers, agent: upstreamAgent }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(() => r())) };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { url } = await startPassThrough(process.argv[2]);
  process.stdout.write(`${url}\n`);
}
