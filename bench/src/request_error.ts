import { errors } from 'undici';

/** How a bench request failed without an HTTP answer: nothing in time (`timeout`), or the link. */
export function requestFailure(err: unknown): 'timeout' | 'network' {
  return err instanceof errors.HeadersTimeoutError || err instanceof errors.BodyTimeoutError
    ? 'timeout'
    : 'network';
}
