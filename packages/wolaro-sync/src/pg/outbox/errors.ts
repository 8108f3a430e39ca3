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

/**
 * The `precondition` of a `versionedUpdateStatement()` was false (for example, the caller's
 * session was revoked or no longer grants access to the row). Code `E_PRECONDITION_FAILED`;
 * nothing was written or published.
 *
 * @example
 * ```ts
 * try { await versionedUpdateStatement(pool, sync, { ...opts, precondition }); } catch (err) {
 *   if (err instanceof PreconditionFailedError) return res.status(403).end();
 * }
 * ```
 */
export class PreconditionFailedError extends WolaroSyncError {
  static readonly code = 'E_PRECONDITION_FAILED';
  constructor(
    readonly table: string,
    readonly entityId: string,
  ) {
    super('E_PRECONDITION_FAILED', `The precondition of the write of ${table} ${entityId} does not hold`);
  }
}
