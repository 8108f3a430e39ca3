import { useCallback, useState } from 'react';
import type { SettingValues } from '../draft.js';

/**
 * A write refused with 409: a settings save (which can be retried over the newer version with the
 * same edits) or another write (reload, then try again).
 */
export type Conflict =
  | { kind: 'settings'; patch: Partial<SettingValues>; currentVersion: number | undefined }
  | { kind: 'other' };

/**
 * The conflict shown on a server's page, if any. `resolve` runs one way out (reload, overwrite)
 * with the alert's buttons disabled; the conflict ends when that step succeeds.
 */
export function useConflict() {
  const [conflict, setConflict] = useState<Conflict | null>(null);
  const [busy, setBusy] = useState(false);

  const report = useCallback((next: Conflict) => setConflict(next), []);
  const clear = useCallback(() => setConflict(null), []);
  const resolve = useCallback(async (step: () => Promise<boolean>) => {
    setBusy(true);
    try {
      if (await step()) setConflict(null);
    } finally {
      setBusy(false);
    }
  }, []);

  return { conflict, busy, report, clear, resolve };
}

/** What {@link useConflict} returns. */
export type ConflictState = ReturnType<typeof useConflict>;
