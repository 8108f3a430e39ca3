import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, type DiscordEmulator, startEmulator } from '../src/index.js';
import { createRestRouter } from '../src/rest/rest_router.js';
import { conformanceScript } from './spec_conformance_script.js';
import { checkResponse, findOperation, specOperations } from './spec_support.js';

/**
 * Exercises every REST operation the emulator serves and validates each answer (status, JSON body with `$ref`s
 * resolved, X-RateLimit-* headers) against Discord's vendored OpenAPI description. Any drift fails.
 */

export interface Exchange {
  method: string;
  path: string;
  status: number;
  body: unknown;
}

/** What the script calls: one HTTP request to the emulator, checked against the spec. */
export type Call = (
  method: string,
  path: string,
  options?: { body?: unknown; status?: number; auth?: string | null },
) => Promise<Exchange>;

let instance: DiscordEmulator;
const problems: string[] = [];
const exercised = new Map<string, Set<number>>();
const unmatched: string[] = [];

const call: Call = async (method, path, options = {}) => {
  const headers: Record<string, string> = {};
  const auth = options.auth === undefined ? `Bot ${instance.botToken}` : options.auth;
  if (auth) headers['authorization'] = auth;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${instance.apiUrl}/v10${path}`, {
    method,
    headers,
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await res.text();
  const body: unknown = text ? JSON.parse(text) : undefined;
  const bare = path.split('?')[0] as string;
  const op = findOperation(method, bare);
  const label = `${method} ${bare} → ${res.status}`;
  if (!op) unmatched.push(label);
  else {
    const key = `${op.method} ${op.path}`;
    exercised.set(key, (exercised.get(key) ?? new Set()).add(res.status));
    for (const problem of checkResponse(op, res.status, body, res.headers))
      problems.push(`${label}: ${problem}`);
  }
  const expected = options.status ?? (method === 'DELETE' ? 204 : 200);
  if (res.status !== expected) problems.push(`${label}: expected ${expected} (${text.slice(0, 200)})`);
  return { method, path, status: res.status, body };
};

const SAMPLE_ID = '123456789012345678';
const concrete = (path: string) => path.replace(/\{[^}]+\}|:[A-Za-z]+/g, SAMPLE_ID);

/** Spec operations the REST router serves (a sample id in every path parameter), and routes not in the spec. */
function servedOperations(): { served: string[]; extra: string[] } {
  const router = createRestRouter();
  const served = specOperations
    .filter((op) => router.match(op.method, concrete(op.path)).kind === 'found')
    .map((op) => `${op.method} ${op.path}`);
  const extra = router
    .routes()
    .filter((route) => findOperation(route.method, concrete(route.pattern)) === undefined)
    .map((route) => `${route.method} ${route.pattern}`);
  return { served: served.sort(), extra };
}

describe('conformance with Discord’s OpenAPI description (spec/openapi.json)', () => {
  beforeAll(async () => {
    instance = await startEmulator({ port: 0 });
  });
  afterAll(() => instance.stop());

  it('answers every served operation as the spec describes (status, body schema, rate-limit headers)', async () => {
    await conformanceScript(instance, call);
    expect({ unmatched, problems }).toEqual({ unmatched: [], problems: [] });
  });

  it('the validator itself rejects drift: a guild without home_header, an embed without type', async () => {
    const res = await fetch(`${instance.apiUrl}/v10/guilds/${DEMO.guildId}`, {
      headers: { authorization: `Bot ${instance.botToken}` },
    });
    const { home_header: _dropped, ...guild } = (await res.json()) as Record<string, unknown>;
    const getGuild = findOperation('GET', `/guilds/${DEMO.guildId}`);
    expect(getGuild?.operationId).toBe('get_guild');
    if (!getGuild) return;
    expect(checkResponse(getGuild, 200, guild, res.headers).join()).toContain("'home_header'");
    expect(checkResponse(getGuild, 200, { ...guild, home_header: null }, new Headers()).join()).toContain(
      'X-RateLimit',
    );
    const getMessage = findOperation('GET', `/channels/${DEMO.channels.general}/messages/1`);
    if (!getMessage) throw new Error('get_message not in the spec');
    const sent = instance.control.sendMessage(DEMO.channels.general, {
      authorId: DEMO.users.member,
      content: 'x',
      embeds: [{ title: 'T' }],
    });
    const bad = { ...sent, embeds: [{ title: 'T' }] };
    expect(checkResponse(getMessage, 200, bad, res.headers).join()).toContain("'type'");
    expect(checkResponse(getMessage, 302, {}, res.headers)).toEqual([
      'status 302 is not documented for get_message',
    ]);
  });

  it('exercises every served spec operation with a success status, and lists served vs. spec', () => {
    const { served, extra } = servedOperations();
    const notExercised = served.filter((key) => ![...(exercised.get(key) ?? [])].some((s) => s < 300));
    const lines = specOperations.map((op) => {
      const key = `${op.method} ${op.path}`;
      return `${served.includes(key) ? 'served ' : '       '} ${key} (${op.operationId})`;
    });
    console.log(
      `${lines.join('\n')}\nserved: ${served.length} of ${specOperations.length} spec operations; ` +
        `emulator-only routes: ${extra.join(', ')}`,
    );
    expect(notExercised).toEqual([]);
    expect(served.length).toBeGreaterThanOrEqual(100);
    expect(DEMO.guildId).toBeTruthy();
  });
});
