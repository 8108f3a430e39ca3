import type { GatewayEvent } from '../gateway/gateway_event.js';
import type { EmulatorLogger } from '../logger.js';
import type { SnowflakeGenerator } from '../snowflake.js';
import type { EmulatorState } from '../state/state_store.js';

/** Runtime settings the domain operations and routes read. */
export interface EmulatorConfig {
  /** `http://host:port`, known once the server listens. */
  baseUrl: string;
  /** `ws://host:port/gateway`. */
  gatewayUrl: string;
  /** Time a bot has to answer an interaction callback (Discord: 3 s). */
  interactionResponseTimeoutMs: number;
  /** Lifetime of interaction tokens for follow-ups (Discord: 15 min). */
  interactionTokenTtlMs: number;
  /** Whether privileged intents (members, presences, message content) are enabled for the app. */
  privilegedIntents: boolean;
  /** OAuth2 access token lifetime, in seconds. */
  accessTokenTtlSeconds: number;
  /** `shards` of `GET /gateway/bot`; undefined: one per 1,000 guilds of the bot. */
  recommendedShards: number | undefined;
}

/** Everything domain operations and route handlers need. */
export interface EmulatorContext {
  readonly state: EmulatorState;
  readonly gateway: { dispatch(event: GatewayEvent): number };
  readonly ids: SnowflakeGenerator;
  readonly config: EmulatorConfig;
  readonly logger: EmulatorLogger;
}
