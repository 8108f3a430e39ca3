/**
 * The short variant of `npm run chaos`: the production-shaped stack (two panel API nodes, the bot,
 * a private Redis, Postgres through a TCP proxy) under a small steady load — 20 writes/s over 10
 * guilds and both nodes, 20 slash commands/s, two panel sockets per guild — while Redis is killed
 * and restarted, an API node is killed and restarted, and every app connection to Postgres is
 * terminated, one per round. After each round, every acknowledged write is in the database, every
 * socket and the bot (asked with `/config`) end on the database's version and settings, every
 * command answered has exactly one audit entry, and no caller got a 5xx other than 503.
 */
import { databaseUrl, postgresKind } from '@wolaro/test-harness';
import { expect, it } from 'vitest';
import { roundLine, runChaos } from '../../bench/src/chaos/run.js';
import { shortSettings } from '../../bench/src/chaos/settings.js';

const SERVER_ERRORS = (byStatus: Record<string, number>) =>
  Object.fromEntries(Object.entries(byStatus).filter(([k]) => Number(k) >= 500 && k !== '503'));

// pg_terminate_backend needs a real PostgreSQL server (the embedded fallback has one session).
it.skipIf(postgresKind() === 'pglite')(
  'Redis killed, an API node killed, app connections terminated, under load: nothing acknowledged is lost, nobody ends stale, no 500',
  async () => {
    const settings = shortSettings();
    const result = await runChaos(settings, {
      label: 'chaos_short',
      databaseUrl: databaseUrl(),
      log: (line) => console.log(`[chaos] ${line}`),
    });
    expect(result.rounds.map((r) => r.scenario)).toEqual(settings.scenarios);
    for (const r of result.rounds) {
      const seen = { scenario: r.scenario, line: roundLine(r) };
      // The load ran and was checked: writes were acknowledged, commands answered.
      expect(r.writes.acknowledged, seen.line).toBeGreaterThan(0);
      expect(r.commands.answered, seen.line).toBeGreaterThan(0);
      // No process died on its own (an unhandled error on a lost connection, say).
      expect({ ...seen, crashed: r.crashed }).toEqual({ ...seen, crashed: [] });
      expect({ ...seen, lost: r.writes.lost }).toEqual({ ...seen, lost: 0 });
      expect({ ...seen, sockets: [r.sockets.stale, r.sockets.wrong] }).toEqual({ ...seen, sockets: [0, 0] });
      expect({ ...seen, bot: [r.bot.stale, r.bot.wrong] }).toEqual({ ...seen, bot: [0, 0] });
      // Every command answered has its audit entry, and no command has two.
      expect({ ...seen, audit: [r.commands.missing, r.commands.duplicate] }).toEqual({
        ...seen,
        audit: [0, 0],
      });
      expect({ ...seen, serverErrors: SERVER_ERRORS(r.writes.byStatus) }).toEqual({
        ...seen,
        serverErrors: {},
      });
    }
  },
  300_000,
);
