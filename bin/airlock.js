#!/usr/bin/env node
// The `airlock` command. Runs the TypeScript sources through tsx's loader (no build step for the gateway).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../gateway/cli/airlock.ts');
await main(process.argv.slice(2));
