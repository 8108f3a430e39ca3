/**
 * The faults, one per round. Each injects its fault, keeps it for its time, clears it, and says when
 * it was cleared (the start of the recovery clock) and whether the database was out of reach for
 * the apps meanwhile (only then may a write be refused with 503).
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BotWatch } from './bot_watch.js';
import type { ChaosSettings, ScenarioName } from './settings.js';
import type { ChaosStack } from './stack.js';

/** What a fault did, on this process's clock (performance.now()). */
export interface FaultWindow {
  injectedAt: number;
  /** When the fault was gone: Redis answers again, the link passes, the restarted process serves. */
  clearedAt: number;
  /** Whether the apps could not reach (or not in time) Postgres during the fault. */
  databaseFault: boolean;
  /** For a restart: from starting the new process to it serving (health 200, `Bot ready`), ms. */
  restartMs?: number;
  /** What was done, in words. */
  detail: string;
}

/** What a scenario needs. */
export interface FaultContext {
  stack: ChaosStack;
  settings: ChaosSettings;
  bot: BotWatch;
}

/** What each scenario is, in words (for the report). */
export const SCENARIO_TEXT: Record<ScenarioName, string> = {
  'redis-kill': 'Redis SIGKILL, down for DOWN_S, then restarted (empty) on the same port',
  'redis-pause': 'Redis SIGSTOP for PAUSE_S (hung, connections open), then SIGCONT',
  'pg-terminate': '`pg_terminate_backend` of every connection of the API nodes and the bot',
  'api-kill': 'SIGKILL of the second panel API node, down for DOWN_S, then started again',
  'bot-kill': 'SIGKILL of the bot, down for DOWN_S, then started again',
  'proxy-drop':
    'the TCP proxies drop all traffic apps ↔ Redis and apps ↔ Postgres for PROXY_S, then pass and reset the held connections',
  'proxy-delay':
    'the TCP proxies delay every chunk apps ↔ Redis and apps ↔ Postgres by PROXY_DELAY_MS each way for PROXY_S',
};

const s = (ms: number) => `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s`;

async function restartAfter(
  app: { stop(signal: NodeJS.Signals): Promise<void>; start(): Promise<void> },
  downMs: number,
  before?: () => void,
): Promise<{ injectedAt: number; clearedAt: number; restartMs: number }> {
  const injectedAt = performance.now();
  await app.stop('SIGKILL');
  before?.();
  await sleep(downMs);
  const startAt = performance.now();
  await app.start();
  const clearedAt = performance.now();
  return { injectedAt, clearedAt, restartMs: Math.round(clearedAt - startAt) };
}

function proxiesOf(stack: ChaosStack) {
  if (!stack.proxies) throw new Error('the stack was started without proxies');
  return [stack.proxies.redis, stack.proxies.pg];
}

/** Injects `name`, waits its time, clears it. */
export async function injectFault(name: ScenarioName, ctx: FaultContext): Promise<FaultWindow> {
  const { stack, settings } = ctx;
  const t0 = performance.now();
  /** The window from the injection to now (the fault just cleared). */
  const cleared = (databaseFault: boolean, detail: string): FaultWindow => ({
    injectedAt: t0,
    clearedAt: performance.now(),
    databaseFault,
    detail,
  });
  switch (name) {
    case 'redis-kill': {
      await stack.redis.kill();
      await sleep(settings.downS * 1000);
      await stack.redis.restart();
      return cleared(false, `Redis down ${s(settings.downS * 1000)}`);
    }
    case 'redis-pause': {
      await stack.redis.pause();
      await sleep(settings.pauseS * 1000);
      await stack.redis.resume();
      return cleared(false, `Redis frozen ${s(settings.pauseS * 1000)}`);
    }
    case 'pg-terminate': {
      const { rows } = await stack.sys.pool.query<{ n: string }>(
        `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::text AS n
           FROM pg_stat_activity WHERE application_name = ANY($1::text[])`,
        [[stack.sys.appNames.api, stack.sys.appNames.bot]],
      );
      return cleared(true, `${rows[0]?.n ?? 0} backends terminated`);
    }
    case 'api-kill': {
      const node = stack.sys.apis[stack.sys.apis.length - 1]!;
      const w = await restartAfter(node, settings.downS * 1000);
      return {
        ...w,
        databaseFault: false,
        detail: `API node ${stack.sys.apis.length} down ${s(settings.downS * 1000)}`,
      };
    }
    case 'bot-kill': {
      const w = await restartAfter(stack.sys.bot, settings.downS * 1000, () => ctx.bot.reset());
      return { ...w, databaseFault: false, detail: `bot down ${s(settings.downS * 1000)}` };
    }
    case 'proxy-drop': {
      for (const p of proxiesOf(stack)) p.setMode('blackhole');
      await sleep(settings.proxyS * 1000);
      for (const p of proxiesOf(stack)) {
        p.setMode('pass');
        p.resetAll();
      }
      return cleared(true, `links dropped ${s(settings.proxyS * 1000)}`);
    }
    case 'proxy-delay': {
      for (const p of proxiesOf(stack)) p.setDelay(settings.proxyDelayMs);
      await sleep(settings.proxyS * 1000);
      for (const p of proxiesOf(stack)) p.setDelay(0);
      return cleared(true, `+${settings.proxyDelayMs} ms each way for ${s(settings.proxyS * 1000)}`);
    }
  }
}
