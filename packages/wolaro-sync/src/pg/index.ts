export {
  NOTIFY_CHUNK_BYTES,
  PgNotifyTransport,
  type PgNotifyTransportOptions,
  splitForNotify,
} from './notify_transport.js';
export * from './outbox/index.js';
