// Load for the bench: the same request sent sequentially or N at a time to a target, timed per request.
import http from 'node:http';

export const WARM_UP = 200;

interface Sample {
  total: number;
  firstByte: number;
}

export const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function request(base: string, path: string, body: string, headers: Record<string, string>): Promise<Sample> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } }, (res) => {
      let firstByte = 0;
      res.on('data', () => {
        if (!firstByte) firstByte = performance.now() - started;
      });
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}`));
        else resolve({ total: performance.now() - started, firstByte });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export interface Result {
  p50: number;
  p99: number;
  ttfb50: number;
  rps: number;
}

export async function run(base: string, headers: Record<string, string>, stream: boolean, total: number, concurrency: number): Promise<Result> {
  const body = JSON.stringify({ model: 'gpt-4o-mini', stream, messages: [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: 'Say hello to the benchmark in a few words please.' }] });
  for (let i = 0; i < WARM_UP; i++) await request(base, '/v1/chat/completions', body, headers); // warm-up (the JIT)
  const samples: Sample[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next++;
        samples.push(await request(base, '/v1/chat/completions', body, headers));
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const totals = samples.map((s) => s.total).sort((a, b) => a - b);
  const ttfb = samples.map((s) => s.firstByte).sort((a, b) => a - b);
  return { p50: quantile(totals, 0.5), p99: quantile(totals, 0.99), ttfb50: quantile(ttfb, 0.5), rps: samples.length / seconds };
}

