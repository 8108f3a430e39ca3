import { useCallback, useEffect, useState } from 'react';
import { ApiError, errorMessage } from '../api.js';
import { SETTING_KEYS, type SettingKey } from '../draft.js';
import { SETTING_LABELS } from '../format.js';

/** An error shown on the page, with the settings it is about (shown red while it is shown). */
export interface PageError {
  message: string;
  fields: readonly SettingKey[];
}

/** `body.settings.prefix` → `prefix` */
function invalidSettings(err: unknown): SettingKey[] {
  if (!(err instanceof ApiError)) return [];
  return SETTING_KEYS.filter((key) => err.fields.some((f) => f.endsWith(`settings.${key}`)));
}

/** `body.settings.prefix: must be…` → `Prefix: must be…` */
const forPeople = (err: unknown) =>
  errorMessage(err).replace(/\bbody\.settings\.(\w+)/g, (whole, key: string) => SETTING_LABELS[key] ?? whole);

/**
 * What a page tells the user: a short-lived notice ("Settings saved") and at most one error. The
 * fields an error names are part of it, so a field is red exactly while its error is shown.
 */
export function useFeedback() {
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<PageError | null>(null);

  useEffect(() => {
    if (!notice) return;
    const timer = setTimeout(() => setNotice(null), 4000);
    return () => clearTimeout(timer);
  }, [notice]);

  const say = useCallback((message: string) => setNotice(message), []);
  const showError = useCallback(
    (err: unknown) => setError({ message: forPeople(err), fields: invalidSettings(err) }),
    [],
  );
  const clearError = useCallback(() => setError(null), []);
  return { notice, error, say, showError, clearError };
}

/** What {@link useFeedback} returns. */
export type Feedback = ReturnType<typeof useFeedback>;
