import { randomBytes } from 'node:crypto';
import {
  ConfigError,
  checkSharedEnv,
  commaList,
  intIn,
  optional,
  parseEnv,
  plainHttpProblem,
  type SharedConfig,
  SYNC_SIGNING_KEY_REQUIRED,
  sharedConfig,
  sharedEnv,
} from '@wolaro/app-runtime';
import { z } from 'zod';
import { parseDuration } from './duration.js';

export { ConfigError, DEFAULT_DATA_DIR } from '@wolaro/app-runtime';
/** Discord's REST base; `DISCORD_API_URL` points elsewhere (the emulator) in development. */
export const DISCORD_API = 'https://discord.com/api';
/** HMAC secrets shorter than this are refused (RFC 7518 §3.2, and what `jwtVerifier` demands). */
export const MIN_JWT_SECRET_BYTES = 32;

/** Shortest and longest session lifetime `JWT_TTL` (and `npm run token -- --ttl`) accept, in seconds. */
export const JWT_TTL_RANGE = { min: 60, max: 90 * 86_400 } as const;

/** `METRICS_TOKEN` values shorter than this are refused: it is a password. */
export const MIN_METRICS_TOKEN_LENGTH = 16;

const PANEL_ORIGIN_REQUIRED_MESSAGE =
  'required when NODE_ENV=production (the public origin of the panel, e.g. https://wolaro.fr): it fixes CORS, the Socket.io origins and the login redirect';
const JWT_SECRET_REQUIRED_MESSAGE =
  'required when NODE_ENV=production (a random secret of at least 32 bytes, e.g. `openssl rand -base64 48`)';
const JWT_SECRET_REQUIRED = `JWT_SECRET: ${JWT_SECRET_REQUIRED_MESSAGE}`;

/**
 * Everything the panel API reads from its environment, parsed once at start-up.
 *
 * @example
 * ```ts
 * const config = loadConfig(process.env);
 * await startPanelApi(config);
 * ```
 */
export interface PanelApiConfig extends SharedConfig {
  /** `PORT` (3000; 0 picks a free port). */
  port: number;
  /** `HOST` (127.0.0.1). */
  host: string;
  /** `JWT_SECRET` (at least 32 bytes); generated in development when absent. */
  jwtSecret: string;
  /** Whether {@link PanelApiConfig.jwtSecret} was generated because `JWT_SECRET` was absent. */
  jwtSecretGenerated: boolean;
  /** `JWT_TTL` (12h): lifetime of a panel session and its token, in seconds. */
  jwtTtlSeconds: number;
  /** `DISCORD_TOKEN`: the bot token used for channel names. */
  discordToken: string | undefined;
  /** `DISCORD_CLIENT_ID`: OAuth2 application id. */
  discordClientId: string | undefined;
  /** `DISCORD_CLIENT_SECRET`: OAuth2 client secret. */
  discordClientSecret: string | undefined;
  /** `DISCORD_API_URL` (https://discord.com/api); the emulator's `apiUrl` in development. */
  discordApiUrl: string;
  /** `PANEL_ORIGIN`, e.g. `https://wolaro.fr`: CORS, Socket.io origins and the OAuth2 redirect base. */
  panelOrigin: string | undefined;
  /** `PANEL_WEB_DIR`: a built panel served at `/panel` (SPA fallback to index.html). */
  panelWebDir: string | undefined;
  /** `ADMIN_USER_IDS`: comma-separated Discord user ids allowed on `/api/admin/*`. */
  adminUserIds: readonly string[];
  /** `RATE_LIMIT_WINDOW_MS` (60000) and `RATE_LIMIT_MAX` (600 requests per window and IP). */
  rateLimit: { windowMs: number; max: number };
  /**
   * Write limits of the guild routes (PATCH settings/module, sync, restore), counted per node in
   * memory over `WRITE_RATE_LIMIT_WINDOW_MS` (60000): `WRITE_RATE_LIMIT_PER_USER` (60) writes per
   * user and `WRITE_RATE_LIMIT_PER_GUILD` (120) per guild; past either, 429 with `Retry-After`.
   */
  writeRateLimit: { windowMs: number; perUser: number; perGuild: number };
  /**
   * History kept: `REVISIONS_KEPT` (100) revisions per guild, `REVISIONS_MAX_AGE_DAYS` (0: no age
   * limit), `AUDIT_RETENTION_DAYS` (30) of command executions; the clean-up runs every
   * `RETENTION_INTERVAL_MS` (600000) on one node at a time.
   */
  retention: { revisionsKept: number; revisionMaxAgeDays: number; auditDays: number; intervalMs: number };
  /** `DATABASE_POOL_MAX` (20): connections in the Postgres pool (a PATCH uses several in turn). */
  databasePoolMax: number;
  /** `BODY_LIMIT_BYTES` (65536): larger JSON bodies get 413. */
  bodyLimitBytes: number;
  /**
   * `REQUEST_TIMEOUT_MS` (8000; `0`: none): an API request not answered by then gets `503`
   * `request_timeout` with `Retry-After`, so a caller never waits on a hung link to Postgres or
   * Redis. Keep it under the timeout of your load balancer and clients.
   */
  requestTimeoutMs: number;
  /**
   * `DATABASE_STALL_MS` (1000; `0`: off): when queries are pending, none has finished for this long
   * and a probe on a connection of its own gets no answer within 500 ms either (a hung server, a
   * link dropping packets), the API answers `503` `database_unavailable` with `Retry-After` at once:
   * the requests already waiting and every new one, until the database answers again. A busy
   * database (rows locked, long statements) answers the probe and is never shed.
   */
  databaseStallMs: number;
  /** `CHANNEL_CACHE_TTL_SECONDS` (60): how long channel names from Discord are cached. */
  channelCacheTtlSeconds: number;
  /**
   * `METRICS_TOKEN`: `/metrics` then needs `Authorization: Bearer <token>`. Without it `/metrics`
   * is open in development and off (404) when `NODE_ENV=production`.
   */
  metricsToken: string | undefined;
  /**
   * `SOCKET_CONNECT_LIMIT_PER_IP` (60), `SOCKET_CONNECT_LIMIT_PER_USER` (20) and
   * `SOCKET_CONNECT_WINDOW_MS` (10000): Socket.io handshakes allowed per client address and per
   * user over a sliding window; `0` turns a limit off.
   */
  socketConnectLimit: { perIp: number | false; perUser: number | false; windowMs: number };
  /** `TRUST_PROXY` (false): set behind nginx so rate limits see the client address. */
  trustProxy: boolean | number;
}

const httpUrl = (what: string) =>
  optional.refine(
    (v) => {
      if (v === undefined) return true;
      try {
        const { protocol } = new URL(v);
        return protocol === 'http:' || protocol === 'https:';
      } catch {
        return false;
      }
    },
    { message: `must be an http(s) URL (${what})` },
  );

const envSchema = z
  .object({
    ...sharedEnv,
    PORT: intIn(0, 65535, 3000),
    HOST: optional.transform((v) => v ?? '127.0.0.1'),
    JWT_SECRET: optional.refine((v) => v === undefined || Buffer.byteLength(v) >= MIN_JWT_SECRET_BYTES, {
      message: `must be at least ${MIN_JWT_SECRET_BYTES} bytes (generate one with: openssl rand -base64 48)`,
    }),
    JWT_TTL: optional.transform((v, ctx) => {
      const seconds = parseDuration(v ?? '12h');
      if (seconds === undefined || seconds < JWT_TTL_RANGE.min || seconds > JWT_TTL_RANGE.max) {
        ctx.addIssue({
          code: 'custom',
          message: `must be a duration between 1m and 90d like 12h, 30m or 3600, got "${v}"`,
        });
        return z.NEVER;
      }
      return seconds;
    }),
    DISCORD_TOKEN: optional,
    DISCORD_CLIENT_ID: optional.refine((v) => v === undefined || /^\d{1,20}$/.test(v), {
      message: 'must be a Discord application id (digits)',
    }),
    DISCORD_CLIENT_SECRET: optional,
    DISCORD_API_URL: httpUrl('e.g. https://discord.com/api').transform((v) =>
      (v ?? DISCORD_API).replace(/\/+$/, ''),
    ),
    PANEL_ORIGIN: httpUrl('e.g. https://wolaro.fr').refine(
      (v) => v === undefined || new URL(v).origin === v.replace(/\/+$/, ''),
      { message: 'must be an origin only (scheme://host[:port], no path), e.g. https://wolaro.fr' },
    ),
    PANEL_WEB_DIR: optional,
    ADMIN_USER_IDS: commaList((ids) => {
      const bad = ids.filter((id) => !/^\d{1,20}$/.test(id));
      return bad.length > 0 ? `must be comma-separated Discord user ids, bad: ${bad.join(', ')}` : undefined;
    }),
    RATE_LIMIT_WINDOW_MS: intIn(1000, 86_400_000, 60_000),
    RATE_LIMIT_MAX: intIn(1, 1_000_000, 600),
    WRITE_RATE_LIMIT_WINDOW_MS: intIn(1000, 86_400_000, 60_000),
    WRITE_RATE_LIMIT_PER_USER: intIn(1, 1_000_000, 60),
    WRITE_RATE_LIMIT_PER_GUILD: intIn(1, 1_000_000, 120),
    REVISIONS_KEPT: intIn(0, 1_000_000, 100),
    REVISIONS_MAX_AGE_DAYS: intIn(0, 36_500, 0),
    AUDIT_RETENTION_DAYS: intIn(0, 36_500, 30),
    RETENTION_INTERVAL_MS: intIn(1000, 86_400_000, 600_000),
    BODY_LIMIT_BYTES: intIn(1024, 10 * 1024 * 1024, 64 * 1024),
    REQUEST_TIMEOUT_MS: intIn(0, 600_000, 8000),
    DATABASE_STALL_MS: intIn(0, 600_000, 1000),
    DATABASE_POOL_MAX: intIn(2, 500, 20),
    CHANNEL_CACHE_TTL_SECONDS: intIn(1, 86_400, 60),
    METRICS_TOKEN: optional.refine((v) => v === undefined || v.length >= MIN_METRICS_TOKEN_LENGTH, {
      message: `must be at least ${MIN_METRICS_TOKEN_LENGTH} characters (generate one with: openssl rand -hex 24)`,
    }),
    SOCKET_CONNECT_LIMIT_PER_IP: intIn(0, 1_000_000, 60),
    SOCKET_CONNECT_LIMIT_PER_USER: intIn(0, 1_000_000, 20),
    SOCKET_CONNECT_WINDOW_MS: intIn(1000, 3_600_000, 10_000),
    TRUST_PROXY: optional.transform((v, ctx) => {
      if (v === undefined || v === 'false' || v === '0') return false;
      if (v === 'true') return true;
      const hops = Number(v);
      if (Number.isInteger(hops) && hops > 0 && hops < 100) return hops;
      ctx.addIssue({ code: 'custom', message: 'must be true, false or a number of proxy hops' });
      return z.NEVER;
    }),
  })
  .superRefine((e, ctx) => {
    checkSharedEnv(e, ctx);
    if (e.NODE_ENV !== 'production') return;
    if (e.JWT_SECRET === undefined) {
      ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: JWT_SECRET_REQUIRED_MESSAGE });
    }
    for (const problem of urlProblems(e.DISCORD_API_URL, e.PANEL_ORIGIN)) {
      ctx.addIssue({ code: 'custom', path: [problem.name], message: problem.message });
    }
  });

/**
 * What production demands of the URLs: `PANEL_ORIGIN` set, and no plain `http://` to another
 * machine for the Discord API or the panel (tokens and the bot token travel there).
 */
function urlProblems(
  discordApiUrl: string,
  panelOrigin: string | undefined,
): { name: 'DISCORD_API_URL' | 'PANEL_ORIGIN'; message: string }[] {
  const problems: { name: 'DISCORD_API_URL' | 'PANEL_ORIGIN'; message: string }[] = [];
  if (panelOrigin === undefined)
    problems.push({ name: 'PANEL_ORIGIN', message: PANEL_ORIGIN_REQUIRED_MESSAGE });
  for (const [name, url] of [
    ['DISCORD_API_URL', discordApiUrl],
    ['PANEL_ORIGIN', panelOrigin],
  ] as const) {
    const problem = plainHttpProblem(name, url);
    if (problem) problems.push({ name, message: problem.slice(name.length + 2) });
  }
  return problems;
}

/**
 * Parses the environment once. Every bad variable is reported (not just the first), each on its
 * own line naming the variable; `NODE_ENV=production` without `JWT_SECRET` is refused.
 *
 * @param env - usually `process.env`
 * @throws ConfigError
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): PanelApiConfig {
  const e = parseEnv(envSchema, env, 'panel API');
  return {
    ...sharedConfig(e),
    port: e.PORT,
    host: e.HOST,
    jwtSecret: e.JWT_SECRET ?? randomBytes(48).toString('base64url'),
    jwtSecretGenerated: e.JWT_SECRET === undefined,
    jwtTtlSeconds: e.JWT_TTL,
    discordToken: e.DISCORD_TOKEN,
    discordClientId: e.DISCORD_CLIENT_ID,
    discordClientSecret: e.DISCORD_CLIENT_SECRET,
    discordApiUrl: e.DISCORD_API_URL,
    panelOrigin: e.PANEL_ORIGIN?.replace(/\/+$/, ''),
    panelWebDir: e.PANEL_WEB_DIR,
    adminUserIds: e.ADMIN_USER_IDS,
    rateLimit: { windowMs: e.RATE_LIMIT_WINDOW_MS, max: e.RATE_LIMIT_MAX },
    writeRateLimit: {
      windowMs: e.WRITE_RATE_LIMIT_WINDOW_MS,
      perUser: e.WRITE_RATE_LIMIT_PER_USER,
      perGuild: e.WRITE_RATE_LIMIT_PER_GUILD,
    },
    retention: {
      revisionsKept: e.REVISIONS_KEPT,
      revisionMaxAgeDays: e.REVISIONS_MAX_AGE_DAYS,
      auditDays: e.AUDIT_RETENTION_DAYS,
      intervalMs: e.RETENTION_INTERVAL_MS,
    },
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    databaseStallMs: e.DATABASE_STALL_MS,
    databasePoolMax: e.DATABASE_POOL_MAX,
    channelCacheTtlSeconds: e.CHANNEL_CACHE_TTL_SECONDS,
    trustProxy: e.TRUST_PROXY,
    metricsToken: e.METRICS_TOKEN,
    socketConnectLimit: {
      perIp: e.SOCKET_CONNECT_LIMIT_PER_IP || false,
      perUser: e.SOCKET_CONNECT_LIMIT_PER_USER || false,
      windowMs: e.SOCKET_CONNECT_WINDOW_MS,
    },
  };
}

/**
 * A full config from the defaults plus `overrides` (no environment read): what tests and the
 * one-process launcher pass to `startPanelApi`.
 *
 * @example
 * ```ts
 * const config = createConfig({ port: 0, databaseUrl, redisUrl, jwtSecret });
 * ```
 */
export function createConfig(overrides: Partial<PanelApiConfig> = {}): PanelApiConfig {
  const config = { ...loadConfig({}), ...overrides };
  if (overrides.jwtSecret !== undefined) {
    if (Buffer.byteLength(overrides.jwtSecret) < MIN_JWT_SECRET_BYTES) {
      throw new ConfigError([`jwtSecret: must be at least ${MIN_JWT_SECRET_BYTES} bytes`], 'panel API');
    }
    config.jwtSecretGenerated = overrides.jwtSecretGenerated ?? false;
  }
  const problems: string[] = [];
  if (config.nodeEnv === 'production' && config.jwtSecretGenerated) problems.push(JWT_SECRET_REQUIRED);
  if (config.nodeEnv === 'production' && config.syncSigningKey === undefined) {
    problems.push(`SYNC_SIGNING_KEY: ${SYNC_SIGNING_KEY_REQUIRED}`);
  }
  if (config.nodeEnv === 'production') {
    for (const p of urlProblems(config.discordApiUrl, config.panelOrigin))
      problems.push(`${p.name}: ${p.message}`);
  }
  if (problems.length > 0) throw new ConfigError(problems, 'panel API');
  return config;
}
