import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { MIN_JWT_SECRET_BYTES, type PanelApiConfig } from './config.js';

/**
 * Development only (no `JWT_SECRET`, not production): a random secret kept in `.wolaro/jwt-secret`
 * so the API, `npm run token` and restarts agree on it. Returns the config with that secret and
 * the file's path; a config with a real `JWT_SECRET` is returned as is.
 */
export function withDevJwtSecret(config: PanelApiConfig): {
  config: PanelApiConfig;
  file: string | undefined;
} {
  if (!config.jwtSecretGenerated || config.nodeEnv === 'production') return { config, file: undefined };
  const file = join(dirname(resolve(config.dataDir)), 'jwt-secret');
  let secret: string | undefined;
  try {
    secret = readFileSync(file, 'utf8').trim();
  } catch {
    secret = undefined;
  }
  if (!secret || Buffer.byteLength(secret) < MIN_JWT_SECRET_BYTES) {
    secret = randomBytes(48).toString('base64url');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  }
  return { config: { ...config, jwtSecret: secret }, file };
}
