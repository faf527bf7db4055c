// The route table: which adapter serves which path, and the codec of each protocol family.
import type { ProtocolFamily } from '../config/schema.js';
import type { FamilyCodec, ProtocolAdapter } from './adapter.js';
import { anthropicCodec, anthropicMessages, anthropicModels } from './anthropic.js';
import { openaiChat, openaiCodec, openaiEmbeddings, openaiModels, openaiResponses, responsesErrorFrame } from './openai.js';
import type { AirlockError } from '../errors.js';

export const ADAPTERS: readonly ProtocolAdapter[] = [openaiChat, openaiResponses, openaiEmbeddings, openaiModels, anthropicMessages];

export const CODECS: Record<ProtocolFamily, FamilyCodec> = { openai: openaiCodec, anthropic: anthropicCodec };

export function findAdapter(method: string, path: string, headers: Record<string, unknown> = {}): ProtocolAdapter | undefined {
  if (method === 'GET' && path === '/v1/models' && familyOf(headers) === 'anthropic') return anthropicModels;
  return ADAPTERS.find((a) => a.method === method && a.path === path);
}

/** Which family's error shape an unknown /v1 path gets: Anthropic callers send anthropic-version. */
/** Whose shape an answer off the known routes takes: Anthropic's for its clients (they send anthropic-version) and its paths. */
export function familyOf(headers: Record<string, unknown>, path = ''): ProtocolFamily {
  return headers['anthropic-version'] !== undefined || path === '/v1/messages' || path.startsWith('/v1/messages/') ? 'anthropic' : 'openai';
}

export function streamErrorFrame(adapter: ProtocolAdapter, err: AirlockError, requestId: string): string {
  if (adapter.protocol === 'openai-responses') return responsesErrorFrame(err);
  return CODECS[adapter.family].streamErrorFrame(err, requestId);
}

export type { ProtocolAdapter, FamilyCodec } from './adapter.js';
