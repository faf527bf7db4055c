// The upstream stand-in in a process of its own (`tsx bench/stand-in.ts`): prints its URL, answers the bench's answer.
import { BENCH_ANSWER } from './processes.js';
import { startUpstream } from '../test/support/upstream.js';

const upstream = await startUpstream();
upstream.setDefault({ kind: 'text', text: BENCH_ANSWER });
// The stand-in keeps every request for tests to inspect; a bench sends thousands, so it forgets them.
setInterval(() => (upstream.requests.length = 0), 1000).unref();
process.stdout.write(`${upstream.url}\n`);
