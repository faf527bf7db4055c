// Small shared checks for request bodies; each adapter states its own rules with them.
import { AirlockError } from '../errors.js';

export function requireObject(body: unknown): asserts body is Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw new AirlockError('invalid_request', { message: 'The request body must be a JSON object.' });
  }
}

export function requireString(body: Record<string, unknown>, field: string): void {
  if (typeof body[field] !== 'string' || body[field] === '') {
    throw new AirlockError('invalid_request', { message: `Missing required parameter: '${field}'.`, param: field });
  }
}

export function requireArray(body: Record<string, unknown>, field: string): void {
  if (!Array.isArray(body[field])) {
    throw new AirlockError('invalid_request', {
      message: body[field] === undefined ? `Missing required parameter: '${field}'.` : `Invalid type for '${field}': expected an array.`,
      param: field,
    });
  }
}

export function parseJson(data: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(data) as unknown;
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Every message is an object with a string role, as both APIs require (a bad one is a 400, never a crash later). */
export function requireMessages(body: Record<string, unknown>, field = 'messages'): void {
  requireArray(body, field);
  (body[field] as unknown[]).forEach((message, i) => {
    if (!message || typeof message !== 'object' || Array.isArray(message) || typeof (message as { role?: unknown }).role !== 'string') {
      throw new AirlockError('invalid_request', { message: `Invalid value for '${field}[${i}]': each message needs a string 'role'.`, param: `${field}[${i}].role` });
    }
  });
}
