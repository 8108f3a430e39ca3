import { WolaroSyncError } from '../../errors.js';

/**
 * `versionedUpdate()` found no row with that id. Code `E_ROW_NOT_FOUND`; nothing was written.
 *
 * @example
 * ```ts
 * try { await versionedUpdate(pool, sync, opts); } catch (err) {
 *   if (err instanceof RowNotFoundError) return res.status(404).end();
 * }
 * ```
 */
export class RowNotFoundError extends WolaroSyncError {
  static readonly code = 'E_ROW_NOT_FOUND';
  constructor(
    readonly table: string,
    readonly entityId: string,
  ) {
    super('E_ROW_NOT_FOUND', `No row in ${table} with id ${entityId}`);
  }
}
