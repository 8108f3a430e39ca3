import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import type { Logger } from '@wolaro/sync';
import { servePglite } from './embedded_queue.js';

/** An embedded Postgres (PGlite) served over TCP so `pg.Pool` can talk to it. */
export interface EmbeddedPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  readonly url: string;
  stop(): Promise<void>;
}

/** Written next to the data directory while a process serves it, so other tools can find it. */
function markerPath(dataDir: string): string {
  return join(dirname(resolve(dataDir)), 'pglite.json');
}

/** Whether a process with this pid is running (EPERM: it runs, under another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The URL of the embedded database when another live process already serves `dataDir` (PGlite
 * is single-process: opening the directory twice would corrupt it), else `undefined`.
 */
export function runningEmbeddedUrl(dataDir: string): string | undefined {
  try {
    const marker = JSON.parse(readFileSync(markerPath(dataDir), 'utf8')) as { url?: unknown; pid?: unknown };
    if (typeof marker.url === 'string' && typeof marker.pid === 'number' && marker.pid !== process.pid) {
      return processAlive(marker.pid) ? marker.url : undefined;
    }
  } catch {
    // no marker, or unreadable: nobody serves it
  }
  return undefined;
}

/**
 * Opens (creating on first use) the PGlite database in `dataDir` and serves it on a free port of
 * 127.0.0.1 with `PGLiteSocketServer`.
 *
 * PGlite is one session underneath. The server's query queue is replaced by the session-aware
 * one of `servePglite`, so every request and transaction of a connection runs whole, which lets
 * other processes (`npm run token`, a bot) connect too; a transaction still blocks every other
 * connection, so nothing may wait on another connection inside one, and this process's pool keeps
 * a single connection. The apps still use the in-process bus and `relay.wake()` in this mode.
 */
export async function startEmbeddedPostgres(dataDir: string, logger: Logger): Promise<EmbeddedPostgres> {
  mkdirSync(dataDir, { recursive: true });
  const started = Date.now();
  const db = await PGlite.create(dataDir);
  let served: Awaited<ReturnType<typeof servePglite>>;
  try {
    served = await servePglite(db, { maxConnections: 16 });
  } catch (err) {
    await db.close().catch(() => {});
    throw err;
  }
  const { url } = served;
  const marker = markerPath(dataDir);
  writeFileSync(marker, JSON.stringify({ url, pid: process.pid }));
  logger.info({ dataDir, url, ms: Date.now() - started }, `Embedded Postgres (PGlite) ready in ${dataDir}`);
  let stopped: Promise<void> | undefined;
  return {
    url,
    stop() {
      stopped ??= (async () => {
        rmSync(marker, { force: true });
        await served.stop();
        await db.close().catch(() => {});
      })();
      return stopped;
    },
  };
}
