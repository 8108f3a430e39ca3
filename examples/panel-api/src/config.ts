import { randomBytes } from 'node:crypto';
import {
  ConfigError,
  intIn,
  optional,
  parseEnv,
  type SharedConfig,
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

const JWT_SECRET_REQUIRED =
  'JWT_SECRET: required when NODE_ENV=production (a random secret of at least 32 bytes, e.g. `openssl rand -base64 48`)';

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
  /** `NODE_ENV`; `production` makes `JWT_SECRET` mandatory. */
  nodeEnv: 'development' | 'production' | 'test';
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
  /** `DATABASE_POOL_MAX` (20): connections in the Postgres pool (a PATCH uses several in turn). */
  databasePoolMax: number;
  /** `BODY_LIMIT_BYTES` (65536): larger JSON bodies get 413. */
  bodyLimitBytes: number;
  /** `CHANNEL_CACHE_TTL_SECONDS` (60): how long channel names from Discord are cached. */
  channelCacheTtlSeconds: number;
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

const envSchema = z.object({
  NODE_ENV: optional.pipe(z.enum(['development', 'production', 'test']).default('development')),
  ...sharedEnv,
  PORT: intIn(0, 65535, 3000),
  HOST: optional.transform((v) => v ?? '127.0.0.1'),
  JWT_SECRET: optional.refine((v) => v === undefined || Buffer.byteLength(v) >= MIN_JWT_SECRET_BYTES, {
    message: `must be at least ${MIN_JWT_SECRET_BYTES} bytes (generate one with: openssl rand -base64 48)`,
  }),
  JWT_TTL: optional.transform((v, ctx) => {
    const seconds = parseDuration(v ?? '12h');
    if (seconds === undefined || seconds < 60 || seconds > 90 * 86_400) {
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
  ADMIN_USER_IDS: optional.transform((v, ctx) => {
    const ids = (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const bad = ids.filter((id) => !/^\d{1,20}$/.test(id));
    if (bad.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message: `must be comma-separated Discord user ids, bad: ${bad.join(', ')}`,
      });
      return z.NEVER;
    }
    return ids;
  }),
  RATE_LIMIT_WINDOW_MS: intIn(1000, 86_400_000, 60_000),
  RATE_LIMIT_MAX: intIn(1, 1_000_000, 600),
  BODY_LIMIT_BYTES: intIn(1024, 10 * 1024 * 1024, 64 * 1024),
  DATABASE_POOL_MAX: intIn(2, 500, 20),
  CHANNEL_CACHE_TTL_SECONDS: intIn(1, 86_400, 60),
  TRUST_PROXY: optional.transform((v, ctx) => {
    if (v === undefined || v === 'false' || v === '0') return false;
    if (v === 'true') return true;
    const hops = Number(v);
    if (Number.isInteger(hops) && hops > 0 && hops < 100) return hops;
    ctx.addIssue({ code: 'custom', message: 'must be true, false or a number of proxy hops' });
    return z.NEVER;
  }),
});

/**
 * Parses the environment once. Every bad variable is reported (not just the first), each on its
 * own line naming the variable; `NODE_ENV=production` without `JWT_SECRET` is refused.
 *
 * @param env - usually `process.env`
 * @throws ConfigError
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): PanelApiConfig {
  const e = parseEnv(envSchema, env, 'panel API');
  if (e.NODE_ENV === 'production' && e.JWT_SECRET === undefined) {
    throw new ConfigError([JWT_SECRET_REQUIRED], 'panel API');
  }
  return {
    ...sharedConfig(e),
    nodeEnv: e.NODE_ENV,
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
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    databasePoolMax: e.DATABASE_POOL_MAX,
    channelCacheTtlSeconds: e.CHANNEL_CACHE_TTL_SECONDS,
    trustProxy: e.TRUST_PROXY,
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
  if (config.nodeEnv === 'production' && config.jwtSecretGenerated)
    throw new ConfigError([JWT_SECRET_REQUIRED], 'panel API');
  return config;
}
