import { z } from 'zod';

/** Discord answered with an error status, or could not be reached (`status` 0). */
export class DiscordApiError extends Error {
  override readonly name = 'DiscordApiError';
  constructor(
    readonly status: number,
    readonly route: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Options of {@link DiscordApi}. */
export interface DiscordApiOptions {
  /** REST base without version, e.g. `https://discord.com/api` or the emulator's `apiUrl`. */
  baseUrl: string;
  /** Bot token for guild data (channel names). */
  botToken?: string | undefined;
  /** OAuth2 application id. */
  clientId?: string | undefined;
  /** OAuth2 client secret. */
  clientSecret?: string | undefined;
  /**
   * Per-request timeout in ms.
   * @defaultValue 10000
   */
  timeoutMs?: number;
  /** Called after every request (for metrics). */
  onRequest?: (route: string, status: number) => void;
}

const snowflake = z.string().regex(/^\d{1,20}$/);

const tokenResponse = z.object({ access_token: z.string().min(1), token_type: z.string() });
const userResponse = z.object({
  id: snowflake,
  username: z.string(),
  global_name: z.string().nullish(),
  avatar: z.string().nullish(),
});
const guildsResponse = z.array(
  z.object({
    id: snowflake,
    name: z.string(),
    icon: z.string().nullish(),
    owner: z.boolean().optional(),
    permissions: z.string().regex(/^\d{1,20}$/),
  }),
);
const channelsResponse = z.array(
  z.object({
    id: snowflake,
    name: z.string().nullish(),
    type: z.number().int(),
    position: z.number().int().optional(),
    parent_id: snowflake.nullish(),
  }),
);

/** The Discord user of an OAuth2 login. */
export type DiscordUser = z.infer<typeof userResponse>;
/** A guild of `/users/@me/guilds`, with the user's computed `permissions` and `owner`. */
export type DiscordUserGuild = z.infer<typeof guildsResponse>[number];
/** A channel of `/guilds/:id/channels`. */
export type DiscordChannel = z.infer<typeof channelsResponse>[number];

const REST_VERSION = 'v10';

/**
 * The few Discord REST calls the panel needs: the OAuth2 code exchange, the user and their guilds,
 * and a guild's channels with the bot token. Answers are validated; every failure is a
 * {@link DiscordApiError}.
 */
export class DiscordApi {
  readonly #o: DiscordApiOptions;
  #requests = 0;

  constructor(options: DiscordApiOptions) {
    this.#o = { ...options, baseUrl: options.baseUrl.replace(/\/+$/, '') };
  }

  /** Requests sent since creation. */
  get requests(): number {
    return this.#requests;
  }

  /** Whether OAuth2 login is configured (client id and secret). */
  get oauthConfigured(): boolean {
    return Boolean(this.#o.clientId && this.#o.clientSecret);
  }

  /** Whether a bot token is configured. */
  get botConfigured(): boolean {
    return Boolean(this.#o.botToken);
  }

  /** The URL of Discord's consent page for a login. */
  authorizeUrl(input: { redirectUri: string; state: string; scope?: string }): string {
    const url = new URL(`${this.#o.baseUrl}/oauth2/authorize`);
    url.searchParams.set('client_id', this.#o.clientId ?? '');
    url.searchParams.set('redirect_uri', input.redirectUri);
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('scope', input.scope ?? 'identify guilds');
    url.searchParams.set('state', input.state);
    url.searchParams.set('prompt', 'none');
    return url.toString();
  }

  /** Exchanges an authorization code for the user's access token. */
  async exchangeCode(code: string, redirectUri: string): Promise<string> {
    const body = new URLSearchParams({
      client_id: this.#o.clientId ?? '',
      client_secret: this.#o.clientSecret ?? '',
      grant_type: 'authorization_code',
      code,
      redirect_uri: redirectUri,
    });
    const data = await this.#request('POST /oauth2/token', '/oauth2/token', tokenResponse, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    return data.access_token;
  }

  /** `GET /users/@me` with a user's access token. */
  currentUser(accessToken: string): Promise<DiscordUser> {
    return this.#request('GET /users/@me', '/users/@me', userResponse, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
  }

  /** `GET /users/@me/guilds` with a user's access token. */
  currentUserGuilds(accessToken: string): Promise<DiscordUserGuild[]> {
    return this.#request('GET /users/@me/guilds', '/users/@me/guilds?limit=200', guildsResponse, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
  }

  /** `GET /guilds/:id/channels` with the bot token. */
  guildChannels(guildId: string): Promise<DiscordChannel[]> {
    if (!/^\d{1,20}$/.test(guildId)) throw new TypeError(`Not a guild id: ${guildId}`);
    return this.#request('GET /guilds/:id/channels', `/guilds/${guildId}/channels`, channelsResponse, {
      headers: { authorization: `Bot ${this.#o.botToken ?? ''}` },
    });
  }

  async #request<S extends z.ZodType>(
    route: string,
    path: string,
    schema: S,
    init: RequestInit,
  ): Promise<z.output<S>> {
    this.#requests++;
    let response: Response;
    try {
      response = await fetch(`${this.#o.baseUrl}/${REST_VERSION}${path}`, {
        ...init,
        headers: { 'user-agent': 'WolaroPanel (https://wolaro.fr, 1.0)', ...init.headers },
        signal: AbortSignal.timeout(this.#o.timeoutMs ?? 10_000),
      });
    } catch (err) {
      this.#o.onRequest?.(route, 0);
      throw new DiscordApiError(0, route, `Discord is unreachable (${route})`, { cause: err });
    }
    this.#o.onRequest?.(route, response.status);
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      throw new DiscordApiError(
        response.status,
        route,
        `Discord answered ${response.status} to ${route}: ${text.slice(0, 200)}`,
      );
    }
    const parsed = schema.safeParse(await response.json().catch(() => undefined));
    if (!parsed.success) throw new DiscordApiError(502, route, `Unexpected answer from Discord to ${route}`);
    return parsed.data;
  }
}

/** Channel names for the panel's pickers, as a `channels.text.find(...)` reads them. */
export interface GuildChannels {
  text: { id: string; name: string }[];
  voice: { id: string; name: string }[];
  categories: { id: string; name: string }[];
}

const TEXT_TYPES = new Set([0, 5, 15]); // text, announcement, forum
const VOICE_TYPES = new Set([2, 13]); // voice, stage
const CATEGORY = 4;

/** Groups Discord channels by kind, in Discord's order (position, then id). */
export function groupChannels(channels: readonly DiscordChannel[]): GuildChannels {
  const sorted = [...channels].sort(
    (a, b) => (a.position ?? 0) - (b.position ?? 0) || (BigInt(a.id) < BigInt(b.id) ? -1 : 1),
  );
  const pick = (keep: (type: number) => boolean) =>
    sorted.filter((c) => keep(c.type)).map((c) => ({ id: c.id, name: c.name ?? '' }));
  return {
    text: pick((t) => TEXT_TYPES.has(t)),
    voice: pick((t) => VOICE_TYPES.has(t)),
    categories: pick((t) => t === CATEGORY),
  };
}
