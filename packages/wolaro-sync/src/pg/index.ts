/**
 * PostgreSQL for `@wolaro/sync` (optional peer dependency `pg`): the transactional outbox and its
 * relay, and the LISTEN/NOTIFY transport.
 *
 * @packageDocumentation
 * @module @wolaro/sync/pg
 */
export {
  DefaultPgNotifyTransportOptions,
  NOTIFY_CHUNK_BYTES,
  PgNotifyTransport,
  type PgNotifyTransportOptions,
  type PgNotifyTransportStats,
  splitForNotify,
} from './notify_transport.js';
export * from './outbox/index.js';
