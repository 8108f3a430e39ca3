import { recordCommand } from '@wolaro/db';
import { CommandDeniedError, withCommandEvents } from '@wolaro/sync/discord';
import { PermissionsBitField } from 'discord.js';
import type { BotContext } from '../context.js';
import { moduleEnabled, prefixOf } from '../guild_config.js';
import { postToLogChannel } from '../modules/logging.js';
import { type InvocationSource, UsageError } from './invocation.js';
import type { Command, CommandOutcome } from './types.js';

type Result = 'success' | 'error' | 'denied';

/** Runs one command: module and permission checks, arguments, then the command itself. */
async function execute(
  ctx: BotContext,
  command: Command,
  source: InvocationSource,
): Promise<CommandOutcome | undefined> {
  if (command.module !== undefined && !moduleEnabled(source.config, command.module)) {
    throw new CommandDeniedError(`the ${command.module} module is disabled in this server`);
  }
  if (command.permissions !== undefined) {
    const isOwner = source.guild.ownerId === source.user.id;
    if (!isOwner && !source.member?.permissions.has(command.permissions)) {
      const names = new PermissionsBitField(command.permissions).toArray().join(', ');
      throw new CommandDeniedError(`you need the ${names} permission`);
    }
  }
  const { readArgs, ...rest } = source;
  return command.run({ ...rest, args: readArgs(command) }, ctx);
}

/** What the user sees when a command does not succeed. */
function failureReply(err: unknown): string {
  if (err instanceof CommandDeniedError) return `Denied: ${err.message}.`;
  if (err instanceof UsageError) return err.message;
  return 'Something went wrong while running this command.';
}

/**
 * The one path every command takes, message or slash: `withCommandEvents` publishes
 * `command:executed` (`success` / `error` / `denied`, with the executor's username) and records the
 * run in `audit_log`; a denied or failed command gets an answer; the logging module gets a line.
 *
 * @returns a function that runs a command for an invocation
 */
export function createDispatcher(
  ctx: BotContext,
): (command: Command, source: InvocationSource) => Promise<Result> {
  const run = withCommandEvents(
    ctx.sync,
    (command: Command, source: InvocationSource) => execute(ctx, command, source),
    {
      describe: (command, source) => ({
        guildId: source.guild.id,
        // As typed: `?ping` (with the prefix it matched) for a message, `ping` for a slash command.
        command: source.source === 'message' ? `${prefixOf(source.config)}${command.name}` : command.name,
        executorId: source.user.id,
        executor: source.user.username,
      }),
      onExecuted: async (info) => {
        await recordCommand(ctx.db.pool, info);
      },
      logger: ctx.logger,
    },
  );

  return async (command, source) => {
    let result: Result = 'success';
    let outcome: CommandOutcome | undefined;
    try {
      outcome = await run(command, source);
    } catch (err) {
      result = err instanceof CommandDeniedError ? 'denied' : 'error';
      if (result === 'error' && !(err instanceof UsageError)) {
        ctx.logger.error(
          { err, command: command.name, guildId: source.guild.id },
          `Command ${command.name} failed`,
        );
      }
      await source.reply(failureReply(err), { ephemeral: true }).catch((replyErr: unknown) => {
        ctx.logger.warn({ err: replyErr, command: command.name }, `Could not answer command ${command.name}`);
      });
    }
    const line = outcome?.logLine ?? `${source.user.username} ran ${command.name}: ${result}`;
    await postToLogChannel(ctx, source.guild, source.config, line);
    return result;
  };
}
