// Calls an upstream API over HTTP(S) with kept-alive connections; failures become 502/504 AirlockErrors.
import http from 'node:http';
import https from 'node:https';
import { AirlockError } from '../errors.js';
import type { ProtocolFamily } from '../config/schema.js';

export interface UpstreamTarget {
  name: string;
  url: string;
  family: ProtocolFamily;
  key: string | undefined;
}

export interface UpstreamRequest {
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
  signal: AbortSignal;
  timeoutMs: number;
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string>;
  body: AsyncIterable<Buffer>;
}

export interface UpstreamClient {
  send(target: UpstreamTarget, request: UpstreamRequest): Promise<UpstreamResponse>;
  close(): void;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'upgrade', 'set-cookie', 'content-encoding', 'alt-svc']);

export function passHeaders(raw: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined || HOP_BY_HOP.has(name)) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** Joins the upstream's base URL and an API path; a base that already ends in /v1 (Ollama, vLLM) keeps one /v1. */
export function upstreamUrl(base: string, path: string): URL {
  const url = new URL(base);
  const basePath = url.pathname.replace(/\/+$/, '');
  const rest = basePath.endsWith('/v1') && path.startsWith('/v1/') ? path.slice(3) : path;
  url.pathname = `${basePath}${rest}`;
  return url;
}

export function httpUpstreamClient(): UpstreamClient {
  const agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets: 256 }),
    'https:': new https.Agent({ keepAlive: true, maxSockets: 256 }),
  };
  // A handful of (upstream, path) pairs, joined once each.
  const urls = new Map<string, URL>();
  return {
    send(target, request) {
      const key = `${target.url}\0${request.path}`;
      let url = urls.get(key);
      if (!url) urls.set(key, (url = upstreamUrl(target.url, request.path)));
      const transport = url.protocol === 'https:' ? https : http;
      return new Promise<UpstreamResponse>((resolve, reject) => {
        const headers: Record<string, string | number> = { ...request.headers, 'accept-encoding': 'identity' };
        if (request.body) headers['content-length'] = request.body.length;
        const req = transport.request(url, { method: request.method, headers, agent: agents[url.protocol as 'http:' | 'https:'], signal: request.signal });
        const timer = setTimeout(() => {
          req.destroy(new AirlockError('upstream_timeout', { message: `The upstream "${target.name}" did not answer within ${Math.round(request.timeoutMs / 1000)} s.` }));
        }, request.timeoutMs);
        req.once('response', (res) => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 502, headers: passHeaders(res.headers), body: res });
        });
        req.once('error', (err) => {
          clearTimeout(timer);
          reject(upstreamError(err, target));
        });
        req.end(request.body);
      });
    },
    close() {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  };
}

export function upstreamError(err: unknown, target: UpstreamTarget): AirlockError {
  if (err instanceof AirlockError) return err;
  const code = (err as NodeJS.ErrnoException).code ?? (err as Error).name;
  if (code === 'ABORT_ERR' || (err as Error).name === 'AbortError') return new AirlockError('upstream_error', { message: 'The request was withdrawn before the upstream answered.' });
  return new AirlockError('upstream_unreachable', { message: `The upstream "${target.name}" could not be reached (${code}).`, cause: err });
}
