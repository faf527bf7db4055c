// Draining a stream (an SDK's async iterable) in a test: everything it yields, or what it yielded before it failed.

export async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of stream) items.push(item);
  return items;
}

/** Iterates until the stream fails; returns what arrived and the error. */
export async function collectUntilError<T>(stream: AsyncIterable<T>): Promise<{ items: T[]; error: any }> {
  const items: T[] = [];
  try {
    for await (const item of stream) items.push(item);
  } catch (error) {
    return { items, error };
  }
  throw new Error('the stream ended without an error');
}
