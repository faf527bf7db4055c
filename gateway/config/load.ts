// Reads the YAML config file and validates it, naming the line of the first thing that is wrong.
import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import type { ZodError } from 'zod';
import { configSchema, type AirlockConfig, type AirlockConfigInput } from './schema.js';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export async function loadConfigFile(path: string): Promise<AirlockConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return parseConfigText(text, path);
}

export function parseConfigText(text: string, source = 'config'): AirlockConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const err = doc.errors[0];
    // Without prettyErrors the parser gives only offsets; the line counter turns them into a line.
    const pos = err.linePos?.[0] ?? lineCounter.linePos(err.pos[0]);
    throw new ConfigError(`${source}${pos ? `:${pos.line}` : ''}: ${err.message.split('\n')[0]}`);
  }
  const result = configSchema.safeParse(doc.toJS() ?? {});
  if (result.success) return result.data;
  throw new ConfigError(describeIssue(result.error, source, (path) => {
    const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
    if (node?.range) return lineCounter.linePos(node.range[0]).line;
    // An unknown key has no node at its own path; fall back to its parent.
    const parent = doc.getIn(path.slice(0, -1), true) as { range?: [number, number, number] } | undefined;
    return parent?.range ? lineCounter.linePos(parent.range[0]).line : undefined;
  }));
}

export function validateConfig(input: AirlockConfigInput | unknown, source = 'config'): AirlockConfig {
  const result = configSchema.safeParse(input ?? {});
  if (result.success) return result.data;
  throw new ConfigError(describeIssue(result.error, source, () => undefined));
}

function describeIssue(error: ZodError, source: string, lineOf: (path: (string | number)[]) => number | undefined): string {
  const issue = error.issues[0];
  let path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    path = [...path, issue.keys[0]];
    message = `unknown key "${issue.keys[0]}"`;
  }
  const line = lineOf(path);
  const where = path.length ? path.join('.') : '(top level)';
  return `${source}${line ? `:${line}` : ''}: ${where}: ${message}`;
}
