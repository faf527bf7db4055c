// Conversations: a request continues an earlier one when its messages extend the earlier one's.
// Prefixes are compared by keyed hashes, so no message text is stored to find them.
import type { SessionCrypto } from '../store/session-crypto.js';
import type { RequestFlow } from './request-flow.js';

export interface ConversationHashes {
  /** Hash of the whole message list. */
  full: string | null;
  /** Hashes of each shorter prefix, longest first. */
  prefixes: string[];
}

export function conversationHashes(crypto: SessionCrypto, flow: Pick<RequestFlow, 'caller' | 'adapter' | 'prompt'>): ConversationHashes {
  const messages = flow.prompt.messages;
  if (messages.length === 0) return { full: null, prefixes: [] };
  // The system prompt stays out of the root: agents often stamp it with the time, and a turn is still a turn.
  let h = crypto.hmac(`${flow.caller.name}\0${flow.adapter.protocol}`);
  const chain: string[] = [];
  for (const message of messages) {
    h = crypto.hmac(Buffer.concat([h, Buffer.from(JSON.stringify(message.raw))]));
    chain.push(h.toString('base64url'));
  }
  return { full: chain[chain.length - 1], prefixes: chain.slice(0, -1).reverse() };
}
