import { upsertGuild } from '@wolaro/db';
import { Events, type Guild, type GuildMember } from 'discord.js';
import type { BotContext } from '../context.js';
import { memberRecord, writeMemberChanges } from '../guild_sync.js';
import { defineEvent } from './types.js';

/** A member from the cache, else from Discord; `undefined` when neither has it. */
async function memberOf(ctx: BotContext, guild: Guild, userId: string): Promise<GuildMember | undefined> {
  const cached = guild.members.cache.get(userId);
  if (cached) return cached;
  try {
    return await guild.members.fetch(userId);
  } catch (err) {
    ctx.logger.warn(
      { err, guildId: guild.id, userId },
      `Could not fetch member ${userId} of guild ${guild.id}`,
    );
    return undefined;
  }
}

/**
 * GUILD_UPDATE: name and icon to the database; on an ownership transfer, `guilds.owner_id`, the
 * owner flags and both owners' recomputed permissions in one transaction, which revokes the former
 * owner's panel access unless they are an administrator.
 */
export const guildUpdate = defineEvent({
  name: Events.GuildUpdate,
  async execute(ctx, oldGuild, newGuild) {
    const formerId = oldGuild.ownerId;
    if (formerId !== newGuild.ownerId) {
      const members = await Promise.all(
        [formerId, newGuild.ownerId].map((id) => memberOf(ctx, newGuild, id)),
      );
      const upsert = members.filter((m) => m !== undefined).map(memberRecord);
      // A former owner we cannot see keeps no rights from the stored row: it had all of them as owner.
      if (!members[0]) upsert.push({ userId: formerId, permissions: '0', isOwner: false });
      await writeMemberChanges(ctx, {
        guildId: newGuild.id,
        ownerId: newGuild.ownerId,
        upsert,
        reason: 'Guild ownership transferred',
      });
    }
    await upsertGuild(ctx.db.pool, {
      guildId: newGuild.id,
      name: newGuild.name,
      ownerId: newGuild.ownerId,
      icon: newGuild.icon,
    });
  },
});
