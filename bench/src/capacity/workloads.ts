/**
 * The workloads the steps offer rates to: config writes (`PATCH /api/panel/guilds/:id`, to the
 * panel API or to the floor server), slash commands through the Discord emulator to the bot
 * (chaos/commands.ts's `CommandDriver`), and the floor's commands (`POST /commands`).
 * Operations go round-robin over the guilds; commands round-robin over each guild's members.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DiscordEmulator } from '@wolaro/discord-emulator';
import type { Pool } from 'undici';
import type { CommandDriver, CommandRecord } from '../chaos/commands.js';
import { requestFailure } from '../request_error.js';
import { commandKey, type RoomSockets, versionKey } from './rooms.js';
import type { OpRecord, Workload } from './steps.js';

/** A guild as the workloads see it. */
export interface WorkloadGuild {
  guildId: string;
  channelId: string;
  /** Who runs commands (plain members). */
  memberIds: readonly string[];
}

const TIMEOUT_MS = 5000;

/** HTTP requests on an undici pool, recorded; `settle` waits for the answers. */
abstract class HttpWorkload implements Workload {
  protected list: OpRecord[] = [];
  #inFlight = 0;

  constructor(
    readonly label: string,
    readonly rooms: RoomSockets,
    protected readonly http: Pool,
  ) {}

  begin(): void {
    this.list = [];
  }

  records(): readonly OpRecord[] {
    return this.list;
  }

  abstract fire(i: number, measured: boolean): void;

  protected request(
    record: OpRecord,
    options: { path: string; method: 'PATCH' | 'POST'; token?: string; body: string },
    onOk: (json: Record<string, unknown>) => void,
  ): void {
    this.list.push(record);
    this.#inFlight++;
    this.http
      .request({
        path: options.path,
        method: options.method,
        headers: {
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          'content-type': 'application/json',
        },
        body: options.body,
        headersTimeout: TIMEOUT_MS,
        bodyTimeout: TIMEOUT_MS,
      })
      .then(async (res) => {
        const json = (await res.body.json()) as Record<string, unknown>;
        record.done = performance.now();
        if (res.statusCode >= 200 && res.statusCode < 300) onOk(json);
        else record.error = `http ${res.statusCode}`;
      })
      .catch((err: unknown) => {
        record.done = performance.now();
        record.error = requestFailure(err);
      })
      .finally(() => {
        this.#inFlight--;
      });
  }

  async settle(maxMs: number): Promise<void> {
    const deadline = performance.now() + maxMs;
    while (this.#inFlight > 0 && performance.now() < deadline) await sleep(20);
  }
}

/** `PATCH /api/panel/guilds/:id` with a new prefix, as bench:load sends it. */
export class WriteWorkload extends HttpWorkload {
  #seq = 0;

  constructor(
    label: string,
    rooms: RoomSockets,
    http: Pool,
    readonly guildIds: readonly string[],
    /** The token of a manager of each guild (the floor ignores it). */
    readonly tokens: readonly string[],
  ) {
    super(label, rooms, http);
  }

  fire(i: number, measured: boolean): void {
    const guild = i % this.guildIds.length;
    const record: OpRecord = {
      guild,
      key: undefined,
      sent: performance.now(),
      done: undefined,
      error: undefined,
      measured,
    };
    const body = JSON.stringify({ settings: { prefix: `c${(this.#seq++ % 10_000).toString()}` } });
    this.request(
      record,
      {
        path: `/api/panel/guilds/${this.guildIds[guild]}`,
        method: 'PATCH',
        token: this.tokens[guild]!,
        body,
      },
      (json) => {
        if (typeof json['version'] === 'number') record.key = versionKey(json['version']);
        else record.error = 'no version';
      },
    );
  }
}

/** Per executor: how many commands were sent so far (the `n` of the keys). */
class CommandCounter {
  readonly #counts = new Map<string, number>();

  next(executorId: string): string {
    const n = this.#counts.get(executorId) ?? 0;
    this.#counts.set(executorId, n + 1);
    return commandKey(executorId, n);
  }
}

/** Operation `i`: its guild and member (round-robin over the guilds, then over their members). */
function commandTarget(guilds: readonly WorkloadGuild[], i: number): { guild: number; executorId: string } {
  const guild = i % guilds.length;
  const members = guilds[guild]!.memberIds;
  return { guild, executorId: members[Math.floor(i / guilds.length) % members.length]! };
}

/** The floor's commands: `POST /commands` to the floor server. */
export class FloorCommandWorkload extends HttpWorkload {
  readonly #counter = new CommandCounter();
  #seq = 0;

  constructor(
    label: string,
    rooms: RoomSockets,
    http: Pool,
    readonly guilds: readonly WorkloadGuild[],
  ) {
    super(label, rooms, http);
  }

  fire(i: number, measured: boolean): void {
    const { guild, executorId } = commandTarget(this.guilds, i);
    const record: OpRecord = {
      guild,
      key: this.#counter.next(executorId),
      sent: performance.now(),
      done: undefined,
      error: undefined,
      measured,
    };
    const body = JSON.stringify({
      guildId: this.guilds[guild]!.guildId,
      command: 'ping',
      executorId,
      runId: `floor-${process.pid}-${this.#seq++}`,
    });
    this.request(record, { path: '/commands', method: 'POST', body }, () => {});
  }
}

/**
 * `/ping` through the emulator (INTERACTION_CREATE on the bot's gateway); an operation is answered
 * when the emulator holds the bot's interaction response.
 */
export class BotCommandWorkload implements Workload {
  readonly #counter = new CommandCounter();
  #list: { op: OpRecord; command: CommandRecord }[] = [];

  constructor(
    readonly label: string,
    readonly rooms: RoomSockets,
    readonly driver: CommandDriver,
    readonly guilds: readonly WorkloadGuild[],
  ) {}

  /** The emulator the commands go through. */
  get emulator(): DiscordEmulator {
    return this.driver.emulator;
  }

  begin(): void {
    this.#list = [];
    this.driver.records = [];
  }

  fire(i: number, measured: boolean): void {
    const { guild, executorId } = commandTarget(this.guilds, i);
    const key = this.#counter.next(executorId);
    const command = this.driver.send(guild, executorId, 'ping');
    const op: OpRecord = {
      guild,
      key,
      sent: command.createdAt,
      done: undefined,
      error: command.interactionId === undefined ? 'not created' : undefined,
      measured,
    };
    this.#list.push({ op, command });
  }

  /** The commands of this step with their records (interaction ids, answers). */
  commands(): readonly { op: OpRecord; command: CommandRecord }[] {
    return this.#list;
  }

  records(): readonly OpRecord[] {
    for (const { op, command } of this.#list) {
      if (op.done === undefined && command.answeredAt !== undefined) op.done = command.answeredAt;
    }
    return this.#list.map((e) => e.op);
  }

  async settle(maxMs: number): Promise<void> {
    await this.driver.drain(maxMs);
    for (const { op, command } of this.#list) {
      if (command.answeredAt !== undefined) op.done = command.answeredAt;
      else op.error ??= 'unanswered';
    }
  }
}
