/**
 * The command load: slash commands (`/ping`) at a fixed rate through the Discord emulator
 * (INTERACTION_CREATE to the bot), round-robin over the guilds and their members. An interaction
 * callback is what the bot answers with, and (as on Discord) it is not under the bot's global REST
 * limit, so this is the path that can carry hundreds of commands per second. A command counts as
 * answered when the emulator holds the bot's response.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DiscordEmulator } from '@wolaro/discord-emulator';
import { type OpenLoop, openLoop } from './loop.js';
import type { LoadGuild } from './writes.js';

/** One command sent to the bot. */
export interface CommandRecord {
  guild: number;
  userId: string;
  command: string;
  interactionId: string | undefined;
  createdAt: number;
  /** When this process saw the bot's response, if it came. */
  answeredAt: number | undefined;
  /** The response's text. */
  content: string | undefined;
}

/** How long a command may stay unanswered before this process stops looking (ms). */
const GIVE_UP_MS = 15_000;

/** Drives the commands; one per run, {@link CommandDriver.start} / {@link CommandDriver.stop} per round. */
export class CommandDriver {
  records: CommandRecord[] = [];
  /** Commands the emulator refused to create. */
  createFailed = 0;
  #pending = new Set<CommandRecord>();
  #loop: OpenLoop | undefined;
  readonly #poller: NodeJS.Timeout;

  constructor(
    readonly emulator: DiscordEmulator,
    readonly guilds: readonly LoadGuild[],
    readonly rate: number,
  ) {
    this.#poller = setInterval(() => this.#poll(), 25);
  }

  /** Starts a round: new records, the load running. */
  start(): void {
    this.records = [];
    this.createFailed = 0;
    this.#loop = openLoop(this.rate, (i) => {
      const g = i % this.guilds.length;
      const members = this.guilds[g]!.memberIds;
      this.send(g, members[Math.floor(i / this.guilds.length) % members.length]!, 'ping');
    });
  }

  /** Stops the load and waits (at most `maxMs`) until every command is answered or given up. */
  async stop(maxMs: number): Promise<void> {
    this.#loop?.stop();
    await this.drain(maxMs);
  }

  /** Waits (at most `maxMs`) until no command is waiting for its answer. */
  async drain(maxMs: number): Promise<void> {
    const deadline = performance.now() + maxMs;
    while (this.#pending.size > 0 && performance.now() < deadline) await sleep(20);
  }

  /** Sends `/command` as `userId` in guild `g` (recorded like the load's commands). */
  send(g: number, userId: string, command: string): CommandRecord {
    const guild = this.guilds[g]!;
    const record: CommandRecord = {
      guild: g,
      userId,
      command,
      interactionId: undefined,
      createdAt: performance.now(),
      answeredAt: undefined,
      content: undefined,
    };
    try {
      const { id } = this.emulator.control.createInteraction({
        guildId: guild.guildId,
        channelId: guild.channelId,
        userId,
        command,
      });
      record.interactionId = id;
      this.#pending.add(record);
    } catch {
      this.createFailed++;
    }
    this.records.push(record);
    return record;
  }

  /** Sends `/command` and waits (at most `timeoutMs`) for the answer's text. */
  async ask(g: number, userId: string, command: string, timeoutMs = 5000): Promise<string | undefined> {
    const record = this.send(g, userId, command);
    const deadline = performance.now() + timeoutMs;
    while (record.answeredAt === undefined && this.#pending.has(record) && performance.now() < deadline) {
      await sleep(10);
    }
    return record.content;
  }

  #poll(): void {
    const now = performance.now();
    for (const record of this.#pending) {
      // The stored record (a map lookup), not the control view: this runs for every pending command.
      const response = this.emulator.state.interaction(record.interactionId!)?.response;
      if (response) {
        record.answeredAt = now;
        const content = response.data?.['content'];
        record.content = typeof content === 'string' ? content : '';
        this.#pending.delete(record);
      } else if (now - record.createdAt > GIVE_UP_MS) {
        this.#pending.delete(record);
      }
    }
  }

  close(): void {
    this.#loop?.stop();
    clearInterval(this.#poller);
  }
}
