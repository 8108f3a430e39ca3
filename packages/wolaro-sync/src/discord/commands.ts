import type { ChannelMap } from '../channels/define.js';
import type { SyncClient } from '../client/sync_client.js';
import { type Logger, silentLogger } from '../logger.js';
import { validateCommandEvents } from './validate_options.js';

/**
 * Throw it from a command to report it as `denied` (missing permission, module disabled...)
 * rather than `error`. Its message is what the user may be told.
 *
 * @example
 * ```ts
 * if (!interaction.memberPermissions?.has('BanMembers')) throw new CommandDeniedError('You cannot ban members');
 * ```
 */
export class CommandDeniedError extends Error {
  override get name(): string {
    return 'CommandDeniedError';
  }
}

/**
 * Who ran what, where: the fields of a `command:executed` event.
 *
 * @example
 * ```ts
 * const ctx: CommandInfo = { guildId: '123', command: 'ping', executorId: '456', executor: 'theo7791l' };
 * ```
 */
export interface CommandInfo {
  guildId: string;
  command: string;
  executorId: string;
  executor?: string;
  /**
   * What identifies this run (the interaction's or the message's id), passed on to `onExecuted`
   * so an audit record retried after a lost COMMIT answer can be written once (a unique key). Not
   * part of the published event.
   */
  runId?: string;
}

/** A discord.js chat-input interaction, by shape (so this module never loads discord.js). */
interface InteractionLike {
  id?: string;
  guildId: string | null;
  commandName: string;
  user: { id: string; username: string };
}

function isInteractionLike(value: unknown): value is InteractionLike {
  const v = value as InteractionLike | null;
  return (
    typeof v === 'object' && v !== null && typeof v.commandName === 'string' && typeof v.user?.id === 'string'
  );
}

/**
 * Options of {@link withCommandEvents}.
 *
 * @example
 * ```ts
 * withCommandEvents(sync, run, { describe: (message) => ({ guildId: message.guildId, command: 'ping', executorId: message.author.id }) });
 * ```
 */
export interface CommandEventsOptions<A extends unknown[]> {
  /**
   * Reads the event fields from the command's arguments.
   * @defaultValue reads a discord.js interaction passed first (`guildId`, `commandName`, `user`)
   */
  describe?: (...args: A) => CommandInfo | undefined;
  /** Called after each run with what was (or should have been) published, e.g. to write an audit log; runs even when the publish failed. */
  onExecuted?: (info: CommandInfo & { result: 'success' | 'error' | 'denied' }) => Promise<void> | void;
  /**
   * Publish `command:executed` from here, before `onExecuted`. Set `false` when `onExecuted`
   * records the run and announces it itself, in one transaction through the outbox
   * (`recordCommands`-style: the audit row and a claimed `command:executed` outbox row, then
   * `publishAfterCommit`): then the event is never seen before the record it announces, and a
   * crash after the command loses neither. `onExecuted` is required then; the wrapper awaits it,
   * and a failure is logged, never thrown into the command.
   * @defaultValue true
   */
  publish?: boolean;
  /** @defaultValue silent */
  logger?: Logger;
}

/**
 * Wraps a command so every run publishes `command:executed` (the panel's live log): `success`
 * when it resolves, `denied` when it throws {@link CommandDeniedError}, `error` when it throws
 * anything else. The command's own result or error is passed through unchanged; a failed
 * publish is logged and never breaks the command. Commands outside a guild publish nothing.
 *
 * With an audit log, prefer `publish: false` and record and announce in `onExecuted` through the
 * outbox (second example): published from here, the event can reach a panel before the record it
 * announces is written, and a crash in between loses the record.
 *
 * @example
 * ```ts
 * import { withCommandEvents } from '@wolaro/sync/discord';
 *
 * const ping = withCommandEvents(sync, async (interaction: ChatInputCommandInteraction) => {
 *   await interaction.reply('Pong!');
 * });
 * client.on('interactionCreate', (i) => { if (i.isChatInputCommand() && i.commandName === 'ping') void ping(i); });
 *
 * // Recorded and announced together (the audit row and the event commit in one transaction):
 * const audited = withCommandEvents(sync, run, {
 *   publish: false,
 *   onExecuted: async (info) => {
 *     const event = await withTransaction(pool, async (client) => {
 *       await client.query('INSERT INTO audit_log (guild_id, command, result) VALUES ($1, $2, $3)', [info.guildId, info.command, info.result]);
 *       return enqueueClaimed(client, 'command:executed', info);
 *     });
 *     await publishAfterCommit(pool, sync, event, { relay });
 *   },
 * });
 * ```
 */
export function withCommandEvents<A extends unknown[], R, M extends ChannelMap = Record<never, never>>(
  sync: SyncClient<M>,
  execute: (...args: A) => Promise<R> | R,
  options: CommandEventsOptions<A> = {},
): (...args: A) => Promise<R> {
  validateCommandEvents(sync, execute, options);
  const logger = options.logger ?? silentLogger;
  const describe =
    options.describe ??
    ((...args: A): CommandInfo | undefined => {
      const first = args[0];
      if (!isInteractionLike(first) || first.guildId === null) return undefined;
      return {
        guildId: first.guildId,
        command: first.commandName,
        executorId: first.user.id,
        executor: first.user.username,
        ...(typeof first.id === 'string' ? { runId: first.id } : {}),
      };
    });

  const report = async (
    info: CommandInfo | undefined,
    result: 'success' | 'error' | 'denied',
  ): Promise<void> => {
    if (!info) return;
    // The live push and the audit record are independent: one failing must not lose the other.
    try {
      if (options.publish !== false) {
        await sync.publishCommandExecuted(info.guildId, info.command, info.executorId, result, info.executor);
      }
    } catch (err) {
      logger.warn(
        { err, command: info.command, guildId: info.guildId },
        `Could not publish command ${info.command}`,
      );
    }
    try {
      await options.onExecuted?.({ ...info, result });
    } catch (err) {
      logger.warn(
        { err, command: info.command, guildId: info.guildId },
        `onExecuted failed for ${info.command}`,
      );
    }
  };

  return async (...args: A): Promise<R> => {
    const info = describe(...args);
    try {
      const value = await execute(...args);
      await report(info, 'success');
      return value;
    } catch (err) {
      await report(info, err instanceof CommandDeniedError ? 'denied' : 'error');
      throw err;
    }
  };
}
