/**
 * Embedded Postgres fallback for tests: an in-memory PGlite served over TCP with the same
 * session-aware query queue as the demo's embedded database (`servePglite` of `@wolaro/db`), so
 * ordinary `pg` clients can connect and `?options=-c search_path=<schema>` isolates test schemas.
 */
import { PGlite } from '@electric-sql/pglite';
import { servePglite } from '@wolaro/db';

export { listenStatements, startupSearchPath } from '@wolaro/db';

/** A running PGlite socket server. */
export interface PgliteServer {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  readonly url: string;
  readonly port: number;
  /** Stop listening, drop connections and close the database. */
  stop(): Promise<void>;
}

/**
 * Starts an in-memory PGlite database behind a `PGLiteSocketServer` on 127.0.0.1.
 *
 * @param port - TCP port to listen on (0 = any free port)
 * @returns the server handle; call `stop()` at teardown
 */
export async function startPgliteServer(port = 0): Promise<PgliteServer> {
  const db = await PGlite.create();
  const served = await servePglite(db, { port, maxConnections: 1000 });
  return {
    url: served.url,
    port: served.port,
    async stop() {
      await served.stop();
      await db.close();
    },
  };
}
