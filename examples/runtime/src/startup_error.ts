/**
 * Start-up failures as one line each: what failed, where (the variable and the address, without
 * its password), and what to do.
 */

/**
 * A start-up step that failed, with what to do about it. `message` is the one line an operator
 * reads; `cause` keeps the original error for the logs.
 *
 * @example
 * ```ts
 * throw new StartupError('cannot reach Redis at 127.0.0.1:6379 (REDIS_URL)', 'start Redis or fix REDIS_URL', err);
 * ```
 */
export class StartupError extends Error {
  override readonly name = 'StartupError';
  constructor(
    readonly what: string,
    readonly hint: string,
    cause?: unknown,
  ) {
    super(`${what}: ${hint}`, cause === undefined ? undefined : { cause });
  }
}

/** `host:port` of a URL (no user or password), or the scheme when it cannot be parsed. */
export function addressOf(url: string, defaultPort: number): string {
  try {
    const u = new URL(url);
    return `${u.hostname || '127.0.0.1'}:${u.port || defaultPort}`;
  } catch {
    return 'an unparsable URL';
  }
}

const codeOf = (err: unknown): string | undefined =>
  typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string'
    ? (err as { code: string }).code
    : undefined;

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** Why the database could not be opened, as a {@link StartupError}. */
export function databaseStartupError(
  err: unknown,
  databaseUrl: string | undefined,
  dataDir: string,
): StartupError {
  if (databaseUrl === undefined) {
    return new StartupError(
      `cannot open the embedded database in ${dataDir} (PGLITE_DATA_DIR)`,
      `${messageOf(err)}; free or remove that folder, or set DATABASE_URL to a Postgres server`,
      err,
    );
  }
  const at = addressOf(databaseUrl, 5432);
  const name = (() => {
    try {
      return decodeURIComponent(new URL(databaseUrl).pathname.slice(1)) || 'postgres';
    } catch {
      return 'postgres';
    }
  })();
  const code = codeOf(err);
  if (code === '3D000') {
    const [host, port] = at.split(':');
    return new StartupError(
      `database "${name}" does not exist on ${at} (DATABASE_URL)`,
      `create it (createdb -h ${host} -p ${port} ${name}) or point DATABASE_URL at an existing one`,
      err,
    );
  }
  if (code === '28P01' || code === '28000') {
    return new StartupError(
      `Postgres at ${at} refused the login (DATABASE_URL)`,
      `check the user and password: ${messageOf(err)}`,
      err,
    );
  }
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ETIMEDOUT' || code === 'EHOSTUNREACH') {
    return new StartupError(
      `cannot reach Postgres at ${at} (DATABASE_URL): ${code}`,
      'start Postgres there or fix DATABASE_URL',
      err,
    );
  }
  return new StartupError(`cannot open the database at ${at} (DATABASE_URL)`, messageOf(err), err);
}

/**
 * Why the bus could not connect to Redis, as a {@link StartupError}: `redis` is the `REDIS_URL`,
 * or the config's Redis as {@link redisSourceOf} describes it (a Cluster, Sentinels).
 */
export function redisStartupError(
  err: unknown,
  redis: string | { at: string; variable: string },
): StartupError {
  const { at, variable } =
    typeof redis === 'string' ? { at: addressOf(redis, 6379), variable: 'REDIS_URL' } : redis;
  return new StartupError(
    `cannot reach Redis at ${at} (${variable}): ${messageOf(err)}`,
    `start Redis there or fix ${variable}`,
    err,
  );
}

/** The one line to print for a start-up failure of `app`. */
export function startupFailureLine(app: string, err: unknown): string[] {
  const problems = (err as { problems?: unknown }).problems;
  if (Array.isArray(problems) && problems.length > 0) {
    return problems.map((p) => `${app} not started: ${String(p)}`);
  }
  return [`${app} not started: ${messageOf(err).split('\n')[0]}`];
}
