// A start-up step that needs Redis, bounded: the connector fails its start with a clear error
// instead of waiting for a Redis that does not answer.
import { SocketworksError } from '@socketworks/runtime';

/** `work`'s result, or ERR_CONNECTOR_REDIS_UNAVAILABLE (`<message> within <timeoutMs> ms`) once that time is up. */
export async function redisStepWithin<T>(work: Promise<T>, timeoutMs: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new SocketworksError('ERR_CONNECTOR_REDIS_UNAVAILABLE', `${message} within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
