import { captureLogger } from '@wolaro/test-harness';
import { describe, expect, it } from 'vitest';
import type { BotContext } from '../src/context.js';
import { interactionCreate } from '../src/events/interaction_create.js';

// A narrow unit test of the gate in front of slash commands: an interaction older than Discord's
// 3 s answer window is skipped before any work (no config load, no dispatch, no answer).

function fakeInteraction(ageMs: number, commandName: string) {
  const replies: unknown[] = [];
  return {
    replies,
    interaction: {
      isChatInputCommand: () => true,
      inCachedGuild: () => true,
      createdTimestamp: Date.now() - ageMs,
      commandName,
      guildId: '500000000000000001',
      reply: async (payload: unknown) => {
        replies.push(payload);
      },
    },
  };
}

function fakeContext() {
  const logger = captureLogger();
  const dispatched: string[] = [];
  const ctx = {
    logger,
    dispatch: async (command: { name: string }) => {
      dispatched.push(command.name);
      return 'success';
    },
  } as unknown as BotContext;
  return { ctx, logger, dispatched };
}

describe('slash commands past their answer window', () => {
  it('an interaction 5 s old is skipped before any work, with a debug line', async () => {
    const { ctx, logger, dispatched } = fakeContext();
    const { interaction, replies } = fakeInteraction(5000, 'nope');
    await interactionCreate.execute(ctx, interaction as never);
    expect(replies).toEqual([]);
    expect(dispatched).toEqual([]);
    expect(logger.has("past Discord's answer window", 'debug')).toBe(true);
  });

  it('a fresh one goes on (here: an unknown command gets its answer)', async () => {
    const { ctx, logger } = fakeContext();
    const { interaction, replies } = fakeInteraction(0, 'nope');
    await interactionCreate.execute(ctx, interaction as never);
    expect(replies).toHaveLength(1);
    expect(logger.has("past Discord's answer window")).toBe(false);
  });
});
