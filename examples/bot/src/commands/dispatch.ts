import { CommandDeniedError, withCommandEvents } from '@wolaro/sync/discord';
import { PermissionsBitField } from 'discord.js';
import type { BotContext } from '../context.js';
import { moduleEnabled, prefixOf } from '../guild_config.js';
import { postToLogChannel } from '../modules/logging.js';
import { INTERACTION_ANSWER_WINDOW_MS, type InvocationSource, UsageError } from './invocation.js';
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

/** The record's wait ends this long before Discord's answer window closes, for the answer to travel. */
const ANSWER_TRAVEL_MS = 500;
const SLASH_ANSWER_BY_MS = INTERACTION_ANSWER_WINDOW_MS - ANSWER_TRAVEL_MS;

/**
 * The invocation with its replies held back: `send()` delivers them, in order, once the run is
 * recorded, so a command the user saw answered is a command in `/logs`, even if the bot dies
 * right after answering.
 */
function holdReplies(ctx: BotContext, command: Command, source: InvocationSource) {
  const held: Parameters<InvocationSource['reply']>[] = [];
  return {
    source: {
      ...source,
      reply: async (...args: Parameters<InvocationSource['reply']>) => {
        held.push(args);
      },
    } satisfies InvocationSource,
    async send(): Promise<void> {
      for (const args of held.splice(0)) {
        await source.reply(...args).catch((err: unknown) => {
          ctx.logger.warn({ err, command: command.name }, `Could not answer command ${command.name}`);
        });
      }
    },
  };
}

/**
 * The one path every command takes, message or slash: `withCommandEvents` reports each run
 * (`success` / `error` / `denied`, with the executor's username) to the command log, which records
 * it in `audit_log` and announces `command:executed` in one transaction; a denied or failed
 * command gets an answer; the logging module gets a line. Answers go out once the run is recorded
 * (or after `COMMAND_REPLY_WAIT_MS` if Postgres is slow or unreachable).
 *
 * @returns a function that runs a command for an invocation
 */
export function createDispatcher(
  ctx: BotContext,
): (command: Command, source: InvocationSource) => Promise<Result> {
  // By run id: when the answer must go at the latest (a slash command is answerable for 3 s).
  const answerBy = new Map<string, number>();
  const run = withCommandEvents(
    ctx.sync,
    (command: Command, source: InvocationSource) => execute(ctx, command, source),
    {
      describe: (command, source) => {
        if (source.source === 'slash') answerBy.set(source.id, source.createdTimestamp + SLASH_ANSWER_BY_MS);
        return {
          guildId: source.guild.id,
          // As typed: `?ping` (with the prefix it matched) for a message, `ping` for a slash command.
          command: source.source === 'message' ? `${prefixOf(source.config)}${command.name}` : command.name,
          executorId: source.user.id,
          executor: source.user.username,
          runId: source.id,
        };
      },
      // Recorded and announced together through the outbox: the event never runs ahead of the row.
      publish: false,
      onExecuted: (info) => {
        const by = info.runId === undefined ? undefined : answerBy.get(info.runId);
        if (info.runId !== undefined) answerBy.delete(info.runId);
        return ctx.commands.recordBeforeReply(info, by);
      },
      logger: ctx.logger,
    },
  );

  return async (command, original) => {
    const replies = holdReplies(ctx, command, original);
    const source = replies.source;
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
      await source.reply(failureReply(err), { ephemeral: true });
    }
    await replies.send();
    const line = outcome?.logLine ?? `${source.user.username} ran ${command.name}: ${result}`;
    await postToLogChannel(ctx, source.guild, source.config, line);
    return result;
  };
}
