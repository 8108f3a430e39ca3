/**
 * Unsaved edits of the settings form, kept apart from the server state so that live updates can
 * refresh every field the user has not touched while keeping the ones they have.
 */

export type SettingKey = 'prefix' | 'language' | 'logChannelId';
export type SettingValues = { prefix: string; language: string; logChannelId: string | null };

export const SETTING_KEYS: readonly SettingKey[] = ['prefix', 'language', 'logChannelId'];

export interface Draft {
  /** Edited fields only (a field set back to the server value is not edited). */
  values: Partial<SettingValues>;
  /** The guild version shown when the first of these edits was made. */
  baseVersion: number;
  /** Edited fields that someone else changed meanwhile ("Updated elsewhere"). */
  stale: ReadonlySet<SettingKey>;
}

export const emptyDraft = (version: number): Draft => ({
  values: {},
  baseVersion: version,
  stale: new Set(),
});

export function isDirty(draft: Draft): boolean {
  return Object.keys(draft.values).length > 0;
}

/** The user typed or picked `value` for `key`. */
export function editDraft<K extends SettingKey>(
  draft: Draft,
  key: K,
  value: SettingValues[K],
  server: SettingValues,
  version: number,
): Draft {
  const values: Partial<SettingValues> = { ...draft.values };
  const stale = new Set(draft.stale);
  const wasDirty = isDirty(draft);
  if (value === server[key]) {
    delete values[key];
    stale.delete(key);
  } else {
    values[key] = value;
  }
  if (Object.keys(values).length === 0) return emptyDraft(version);
  return { values, baseVersion: wasDirty ? draft.baseVersion : version, stale };
}

/**
 * The server state went from `before` to `after` (a live update or a refetch). Edited fields that
 * now equal the server are no longer edits; edited fields the server changed to something else are
 * kept and marked stale. Untouched fields need nothing: they show the server value.
 */
export function rebaseDraft(
  draft: Draft,
  before: SettingValues,
  after: SettingValues,
  version: number,
): Draft {
  if (!isDirty(draft)) return draft.baseVersion === version ? draft : emptyDraft(version);
  const values: Partial<SettingValues> = { ...draft.values };
  const stale = new Set(draft.stale);
  let changed = false;
  for (const key of SETTING_KEYS) {
    if (!(key in values)) continue;
    if (values[key] === after[key]) {
      delete values[key];
      stale.delete(key);
      changed = true;
    } else if (before[key] !== after[key] && !stale.has(key)) {
      stale.add(key);
      changed = true;
    }
  }
  if (!changed) return draft;
  if (Object.keys(values).length === 0) return emptyDraft(version);
  return { values, baseVersion: draft.baseVersion, stale };
}

/**
 * The `version` to save with. When someone else changed a field the user also edited, the
 * version the edits were based on, so the API answers 409 and nothing is overwritten silently;
 * otherwise the current one (only the edited fields are sent, so other changes are kept).
 */
export function saveVersion(draft: Draft, currentVersion: number): number {
  return draft.stale.size > 0 ? draft.baseVersion : currentVersion;
}

export function valuesOf(settings: {
  prefix?: unknown;
  language?: unknown;
  logChannelId?: unknown;
}): SettingValues {
  return {
    prefix: typeof settings.prefix === 'string' ? settings.prefix : '',
    language: typeof settings.language === 'string' ? settings.language : 'en',
    logChannelId: typeof settings.logChannelId === 'string' ? settings.logChannelId : null,
  };
}

/** After a successful save of `saved`: those edits are done (edits made meanwhile stay). */
export function dropSaved(draft: Draft, saved: Partial<SettingValues>, version: number): Draft {
  const values: Partial<SettingValues> = { ...draft.values };
  const stale = new Set(draft.stale);
  for (const key of SETTING_KEYS) {
    if (key in saved && key in values && values[key] === saved[key]) {
      delete values[key];
      stale.delete(key);
    }
  }
  if (Object.keys(values).length === 0) return emptyDraft(version);
  return { values, baseVersion: version, stale };
}
