/**
 * The checks after a round, against the database (this process's own pool, never through the
 * proxies): acknowledged writes present, consumers on the database's version and settings, one
 * audit entry per command, errors by status, and the recovery time.
 */
import type pg from 'pg';
import type { CommandRecord } from './commands.js';
import type { Timeline } from './timeline.js';
import { statusKey, type WriteRecord } from './writes.js';

/** A guild's row: version and the settings a consumer shows (defaults merged). */
export interface GuildTruth {
  version: number;
  settings: { prefix: string; language: string; logChannelId: string | null };
}

/** The guilds' rows now. */
export async function readTruth(
  pool: pg.Pool,
  guildIds: readonly string[],
): Promise<Map<string, GuildTruth>> {
  const { rows } = await pool.query<{ guild_id: string; version: string; settings: Record<string, unknown> }>(
    'SELECT guild_id, version::text, settings FROM guilds WHERE guild_id = ANY($1::text[])',
    [guildIds],
  );
  return new Map(rows.map((r) => [r.guild_id, { version: Number(r.version), settings: shown(r.settings) }]));
}

/** The settings a consumer compares: prefix, language and log channel, defaults merged. */
export function shown(settings: unknown): GuildTruth['settings'] {
  const s = (settings ?? {}) as Record<string, unknown>;
  return {
    prefix: typeof s['prefix'] === 'string' ? s['prefix'] : '!',
    language: typeof s['language'] === 'string' ? s['language'] : 'en',
    logChannelId: typeof s['logChannelId'] === 'string' ? s['logChannelId'] : null,
  };
}

const same = (a: GuildTruth['settings'], b: GuildTruth['settings']) =>
  a.prefix === b.prefix && a.language === b.language && a.logChannelId === b.logChannelId;

/** Acknowledged writes vs the database. */
export interface WriteCheck {
  sent: number;
  acknowledged: number;
  /** Acknowledged, with its own revision row (same version, same marker) and the guild at or past it. */
  verified: number;
  /** Acknowledged but missing, rolled back, or its version holds another write's settings. */
  lost: number;
  /** Acknowledged, its revision already pruned by retention (older than the oldest kept): not checkable. */
  pruned: number;
  /** Answers by status: `200`, `429`, `503`, `timeout`, `net:ECONNRESET`, ... */
  byStatus: Record<string, number>;
  /** The same, by when the write was sent: before the fault, during it, after it was cleared. */
  byPhase: { before: Record<string, number>; during: Record<string, number>; after: Record<string, number> };
  /** Requests the load balancer moved to the other node because the connection was refused. */
  rerouted: number;
  /** Slowest answer (ms), any status. */
  maxMs: number;
  /** A few lost writes, to look into. */
  lostSamples: {
    guildId: string;
    version: number;
    marker: string;
    found: string | null | undefined;
    guildVersion: number;
  }[];
}

/** Every 2xx write is in the database: its revision row carries its marker and the guild is at or past it. */
export async function checkWrites(
  pool: pg.Pool,
  records: readonly WriteRecord[],
  guildIds: readonly string[],
  truth: Map<string, GuildTruth>,
  fault: { injectedAt: number; clearedAt: number },
): Promise<WriteCheck> {
  const byStatus: Record<string, number> = {};
  const byPhase: WriteCheck['byPhase'] = { before: {}, during: {}, after: {} };
  for (const r of records) {
    const key = statusKey(r);
    byStatus[key] = (byStatus[key] ?? 0) + 1;
    const phase =
      byPhase[r.sentAt < fault.injectedAt ? 'before' : r.sentAt < fault.clearedAt ? 'during' : 'after'];
    phase[key] = (phase[key] ?? 0) + 1;
  }
  const acked = records.filter((r) => r.version !== undefined);
  const { rows } = await pool.query<{ guild_id: string; version: string; marker: string | null }>(
    `SELECT c.guild_id, c.version::text, c.settings->>'logChannelId' AS marker
       FROM config_revisions c JOIN unnest($1::text[], $2::bigint[]) AS a(g, v) ON c.guild_id = a.g AND c.version = a.v`,
    [acked.map((r) => guildIds[r.guild]!), acked.map((r) => r.version!)],
  );
  const found = new Map(rows.map((r) => [`${r.guild_id}/${r.version}`, r.marker]));
  const oldest = await pool.query<{ guild_id: string; v: string }>(
    'SELECT guild_id, min(version)::text AS v FROM config_revisions WHERE guild_id = ANY($1::text[]) GROUP BY guild_id',
    [guildIds],
  );
  const oldestKept = new Map(oldest.rows.map((r) => [r.guild_id, Number(r.v)]));
  let verified = 0;
  let lost = 0;
  let pruned = 0;
  const lostSamples: WriteCheck['lostSamples'] = [];
  const lose = (r: WriteRecord, guildId: string, key: string) => {
    lost++;
    if (lostSamples.length < 5) {
      const guildVersion = truth.get(guildId)?.version ?? -1;
      lostSamples.push({
        guildId,
        version: r.version!,
        marker: r.marker,
        found: found.get(key),
        guildVersion,
      });
    }
  };
  const claimed = new Set<string>();
  for (const r of acked) {
    const guildId = guildIds[r.guild]!;
    const key = `${guildId}/${r.version}`;
    const duplicateAck = claimed.has(key);
    claimed.add(key);
    const atOrPast = (truth.get(guildId)?.version ?? -1) >= r.version!;
    if (found.has(key)) {
      if (found.get(key) === r.marker && atOrPast && !duplicateAck) verified++;
      else lose(r, guildId, key);
    } else if (atOrPast && r.version! < (oldestKept.get(guildId) ?? Number.POSITIVE_INFINITY)) pruned++;
    else lose(r, guildId, key);
  }
  return {
    sent: records.length,
    acknowledged: acked.length,
    verified,
    lost,
    pruned,
    byStatus,
    byPhase,
    rerouted: records.reduce((a, r) => a + r.rerouted, 0),
    maxMs: Math.round(Math.max(0, ...records.map((r) => r.doneAt - r.sentAt))),
    lostSamples,
  };
}

/** Final states of a kind of consumer vs the database. */
export interface StateCheck {
  consumers: number;
  ok: number;
  /** On an older version than the database. */
  stale: number;
  /** On the database's version (or a newer one) with other settings. */
  wrong: number;
}

/** Each consumer's last version and settings vs the guild's row. */
export function checkStates(
  consumers: readonly { guildId: string; version: number; settings: unknown }[],
  truth: Map<string, GuildTruth>,
): StateCheck {
  const check: StateCheck = { consumers: consumers.length, ok: 0, stale: 0, wrong: 0 };
  for (const c of consumers) {
    const t = truth.get(c.guildId);
    if (!t || c.version < t.version) check.stale++;
    else if (c.version === t.version && same(shown(c.settings), t.settings)) check.ok++;
    else check.wrong++;
  }
  return check;
}

/** The bot's `/config` answer: `Prefix: !`, `Language: fr`, `Log channel: <#id>`, `Version: 12`. */
export function parseConfigReply(
  content: string | undefined,
): { version: number; settings: unknown } | undefined {
  if (!content) return undefined;
  const field = (name: string) => new RegExp(`^${name}: (.*)$`, 'm').exec(content)?.[1]?.trim();
  const version = Number(field('Version'));
  if (!Number.isFinite(version)) return undefined;
  const channel = field('Log channel');
  return {
    version,
    settings: {
      prefix: field('Prefix'),
      language: field('Language'),
      logChannelId: channel && channel !== 'none' ? channel.replace(/^<#|>$/g, '') : null,
    },
  };
}

/** Commands vs audit entries, matched by interaction id (the bot keys each entry on its run). */
export interface AuditCheck {
  issued: number;
  answered: number;
  auditEntries: number;
  /** Answered commands without an audit entry. */
  missing: number;
  /** Entries beyond one per command sent (a run written twice, or an entry of no command sent). */
  duplicate: number;
  /** Entries of commands whose answer never showed (the bot ran them; the answer failed or came too late). */
  ranUnanswered: number;
}

/** Audit rows after `afterId` vs the round's commands, by interaction id (`audit_log.run_id`). */
export async function checkAudit(
  pool: pg.Pool,
  commands: readonly CommandRecord[],
  guildIds: readonly string[],
  afterId: string,
): Promise<AuditCheck> {
  const { rows } = await pool.query<{ run_id: string | null; n: string }>(
    `SELECT run_id, count(*)::text AS n FROM audit_log
      WHERE id > $1::bigint AND guild_id = ANY($2::text[]) GROUP BY run_id`,
    [afterId, guildIds],
  );
  const entries = new Map(rows.map((r) => [r.run_id, Number(r.n)]));
  const check: AuditCheck = {
    issued: 0,
    answered: 0,
    auditEntries: rows.reduce((sum, r) => sum + Number(r.n), 0),
    missing: 0,
    duplicate: 0,
    ranUnanswered: 0,
  };
  const sent = new Set<string>();
  for (const c of commands) {
    if (c.interactionId === undefined) continue;
    sent.add(c.interactionId);
    check.issued++;
    const n = entries.get(c.interactionId) ?? 0;
    if (c.answeredAt !== undefined) {
      check.answered++;
      if (n === 0) check.missing++;
    } else if (n > 0) {
      check.ranUnanswered++;
    }
    check.duplicate += Math.max(0, n - 1);
  }
  for (const [runId, n] of entries) if (runId === null || !sent.has(runId)) check.duplicate += n;
  return check;
}

/**
 * Recovery: from the moment the fault was cleared until every consumer held, for its guild, the
 * version the database had at that moment (0 when they all held it already). `undefined` when a
 * consumer never got there.
 */
export function recoveryMs(
  clearedAt: number,
  versionsAtClear: Map<string, GuildTruth>,
  consumers: readonly { guildId: string; timeline: Timeline }[],
): { ms: number | undefined; behind: number } {
  let worst = 0;
  let behind = 0;
  for (const c of consumers) {
    const v = versionsAtClear.get(c.guildId)?.version ?? 0;
    const at = c.timeline.reachedAt(v);
    if (at === undefined) behind++;
    else worst = Math.max(worst, at - clearedAt);
  }
  return { ms: behind > 0 ? undefined : Math.round(worst), behind };
}
