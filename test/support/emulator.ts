/**
 * Driving the Discord emulator from tests and benchmarks: its own control client
 * (`emulator.control`, an {@link EmulatorControl}) when it runs in this process, {@link httpControl}
 * with the same methods over its `/_emulator` API when it runs in another (`npm start`), and the
 * helpers the suites share on top of either (post as a user, wait for the bot's reply, run a slash
 * command).
 */
import { type ApiMessage, DEMO, type EmulatorControl, type InteractionView } from '@wolaro/discord-emulator';
import { sleep, waitFor } from './wait.js';

type Methods =
  | 'sendMessage'
  | 'messages'
  | 'createInteraction'
  | 'interaction'
  | 'addMember'
  | 'updateMember'
  | 'removeMember';

/**
 * The part of {@link EmulatorControl} the suites use, sync (in process) or async (over HTTP):
 * `emulator.control` is one, {@link httpControl} makes another.
 */
export type ControlClient = {
  [K in Methods]: (
    ...args: Parameters<EmulatorControl[K]>
  ) => ReturnType<EmulatorControl[K]> | Promise<ReturnType<EmulatorControl[K]>>;
};

/**
 * Any route of the emulator's HTTP control API (`<url>/_emulator<path>`); a non-2xx answer rejects
 * with the method, path, status and body.
 *
 * @example
 * ```ts
 * await controlCall(emulator.url, 'PATCH', `/guilds/${guildId}/roles/${roleId}`, { permissions: '8' });
 * ```
 */
export async function controlCall<T = unknown>(
  emulatorUrl: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${emulatorUrl}/_emulator${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} /_emulator${path} → ${res.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/**
 * A {@link ControlClient} over the emulator's HTTP control API (`<url>/_emulator/...`), for an
 * emulator in another process. A non-2xx answer rejects with the method, path, status and body.
 *
 * @example
 * ```ts
 * const control = httpControl(stack.emulatorUrl);
 * await control.sendMessage(DEMO.channels.general, { authorId: DEMO.users.owner, content: '!ping' });
 * ```
 */
export function httpControl(emulatorUrl: string): ControlClient {
  const call = <T>(method: string, path: string, body?: unknown) =>
    controlCall<T>(emulatorUrl, method, path, body);
  const member = (guildId: string, userId: string) => `/guilds/${guildId}/members/${userId}`;
  return {
    sendMessage: (channelId, input) => call('POST', `/channels/${channelId}/messages`, input),
    messages: (channelId, options = {}) =>
      call(
        'GET',
        `/channels/${channelId}/messages${options.includeEphemeral ? '?includeEphemeral=true' : ''}`,
      ),
    createInteraction: (input) => call('POST', '/interactions', input),
    interaction: (id) => call('GET', `/interactions/${id}`),
    addMember: (guildId, input) => call('POST', `/guilds/${guildId}/members`, input),
    updateMember: (guildId, userId, patch) => call('PATCH', member(guildId, userId), patch),
    removeMember: (guildId, userId) => call('DELETE', member(guildId, userId)),
  };
}

/**
 * Posts `content` as `authorId` (default: the demo member) in a channel (default: #general), which
 * the bot receives as MESSAGE_CREATE.
 *
 * @example
 * ```ts
 * const reply = await replyTo(control, await postMessage(control, '!ping'));
 * ```
 */
export async function postMessage(
  control: ControlClient,
  content: string,
  authorId: string = DEMO.users.member,
  channelId: string = DEMO.channels.general,
): Promise<ApiMessage> {
  return control.sendMessage(channelId, { authorId, content });
}

/** The bot's reply to one of `messages` (a message whose `message_reference` points at it), if any yet. */
export async function findReply(
  control: ControlClient,
  messages: readonly ApiMessage[],
): Promise<ApiMessage | undefined> {
  const ids = new Set(messages.map((m) => m.id));
  const all = await control.messages(messages[0]?.channel_id ?? DEMO.channels.general);
  return all.find((m) => m.message_reference?.message_id && ids.has(m.message_reference.message_id));
}

/**
 * Waits for the bot's reply to `message`.
 *
 * @example
 * ```ts
 * expect((await replyTo(control, await postMessage(control, '!ping'))).content).toMatch(/^Pong!/);
 * ```
 */
export function replyTo(control: ControlClient, message: ApiMessage, timeoutMs = 5000): Promise<ApiMessage> {
  return waitFor(() => findReply(control, [message]), {
    timeoutMs,
    intervalMs: 5,
    message: `the bot's reply to "${message.content}"`,
  });
}

/**
 * Posts `content` again and again (each post waits for the previous one) until the bot replies to
 * one of them: the way to learn the earliest moment the bot acts on a new prefix without a fixed
 * sleep. Returns the reply, the message it answers (and its index: 0 = the first post was answered),
 * when the reply was seen, and how many were posted.
 *
 * @example
 * ```ts
 * expect((await postUntilReplied(control, '?ping')).reply.content).toMatch(/^Pong!/);
 * ```
 */
export async function postUntilReplied(
  control: ControlClient,
  content: string,
  timeoutMs = 5000,
): Promise<{
  reply: ApiMessage;
  answered: ApiMessage;
  answeredIndex: number;
  seenAt: number;
  posts: number;
}> {
  const posted: ApiMessage[] = [];
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (posted.length < 200) posted.push(await postMessage(control, content));
    // An in-process control answers at once: give the gateway, the sockets and the bot their turn.
    await sleep(1);
    const reply = await findReply(control, posted);
    if (reply) {
      const seenAt = performance.now();
      const answeredIndex = posted.findIndex((m) => m.id === reply.message_reference?.message_id);
      return { reply, answered: posted[answeredIndex]!, answeredIndex, seenAt, posts: posted.length };
    }
  }
  throw new Error(`no reply to "${content}" within ${timeoutMs} ms (${posted.length} posted)`);
}

/**
 * Invokes `/<command>` as `userId` in the demo guild's #general (INTERACTION_CREATE), then waits for
 * the bot's response to be recorded.
 *
 * @example
 * ```ts
 * const view = await slash(control, 'ping', DEMO.users.moderator);
 * expect(view.response?.data?.content).toMatch(/^Pong!/);
 * ```
 */
export async function slash(
  control: ControlClient,
  command: string,
  userId: string,
  options: Record<string, string> = {},
): Promise<InteractionView> {
  const { id } = await control.createInteraction({
    guildId: DEMO.guildId,
    channelId: DEMO.channels.general,
    userId,
    command,
    options,
  });
  return waitFor(
    async () => {
      const view = await control.interaction(id);
      return view.response ? view : undefined;
    },
    { timeoutMs: 5000, intervalMs: 5, message: `the bot's response to /${command}` },
  );
}

/**
 * The `n`-th guild id that lands on `shard` when the bot runs `shardCount` shards (Discord routes a
 * guild to `(guild_id >> 22) % shardCount`): ids with consecutive low bits all land on one shard,
 * so sharded tests and benchmarks pick theirs with this.
 *
 * @example
 * ```ts
 * const onShard1 = guildIdOnShard(1, 2, 0); // (id >> 22) % 2 === 1
 * emulator.control.createGuild({ id: onShard1, name: 'Shard 1', ownerId: DEMO.users.owner });
 * ```
 */
export function guildIdOnShard(shard: number, shardCount: number, n: number): string {
  if (!(Number.isInteger(shardCount) && shardCount >= 1 && Number.isInteger(shard) && shard >= 0)) {
    throw new RangeError(`not a shard: ${shard} of ${shardCount}`);
  }
  if (shard >= shardCount) throw new RangeError(`shard ${shard} is not below shardCount ${shardCount}`);
  // A timestamp part (above bit 22) ≡ shard (mod shardCount), from a 2019-ish base: 18-19 digits like real ids.
  const base = 300_000_000_000n - (300_000_000_000n % BigInt(shardCount));
  const timestamp = base + BigInt(n) * BigInt(shardCount) + BigInt(shard);
  return String((timestamp << 22n) + 4242n);
}
