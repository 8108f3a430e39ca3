import { type FormEvent, useState } from 'react';
import {
  type Draft,
  dropSaved,
  editDraft,
  emptyDraft,
  isDirty,
  rebaseDraft,
  type SettingKey,
  type SettingValues,
  saveVersion,
  valuesOf,
} from '../draft.js';
import { LANGUAGES } from '../format.js';
import { settingIssues } from '../settings_check.js';
import type { ChannelRef, GuildSettings } from '../types.js';
import { type FieldState, LanguageField, LogChannelField, PrefixField } from './SettingsFields.js';

export type SaveOutcome = 'saved' | 'conflict' | 'error';

const sameValues = (a: SettingValues, b: SettingValues) =>
  a.prefix === b.prefix && a.language === b.language && a.logChannelId === b.logChannelId;

function describe(
  key: SettingKey,
  value: SettingValues[SettingKey],
  channels: readonly ChannelRef[] | null,
): string {
  if (value === null || value === '') return 'none';
  if (key === 'logChannelId') {
    const channel = channels?.find((c) => c.id === value);
    return channel ? `#${channel.name}` : value;
  }
  if (key === 'language') return LANGUAGES.find((l) => l.code === value)?.label ?? value;
  return value;
}

/**
 * The unsaved edits over the server's values: live updates rebase them (see `rebaseDraft`), a
 * successful save drops what it saved.
 */
function useDraft(server: SettingValues, version: number) {
  const [draft, setDraft] = useState<Draft>(() => emptyDraft(version));
  const [shown, setShown] = useState({ server, version });
  if (shown.version !== version || !sameValues(shown.server, server)) {
    // The server state changed (live update, refetch, save): rebase the edits on it.
    setShown({ server, version });
    setDraft((d) => rebaseDraft(d, shown.server, server, version));
  }
  const edit = <K extends SettingKey>(key: K, value: SettingValues[K]) =>
    setDraft((d) => editDraft(d, key, value, server, version));
  const shownValue = <K extends SettingKey>(key: K): SettingValues[K] =>
    key in draft.values ? (draft.values[key] as SettingValues[K]) : server[key];
  return { draft, setDraft, edit, shownValue };
}

/**
 * Prefix, language and log channel. Edits stay local until "Save"; live updates refresh every
 * field the user has not edited, and an edited field that changed elsewhere keeps the user's value
 * with an "Updated elsewhere" note (saving it then asks through a 409 instead of overwriting).
 * An edit the API would refuse is marked at once and cannot be saved.
 */
export function SettingsForm(props: {
  settings: GuildSettings;
  version: number;
  channels: readonly ChannelRef[] | null;
  channelsError: string | null;
  saving: boolean;
  /** Fields the page's error is about (red while it is shown). */
  invalidFields: readonly SettingKey[];
  errorId: string | undefined;
  onSave: (patch: Partial<SettingValues>, version: number) => Promise<SaveOutcome>;
  /** The edits were dropped: an error about them no longer applies. */
  onDiscard: () => void;
}) {
  const { version, channels, saving } = props;
  const server = valuesOf(props.settings);
  const { draft, setDraft, edit, shownValue } = useDraft(server, version);
  const issues = settingIssues(draft.values);
  const dirty = isDirty(draft);
  const blocked = Object.keys(issues).length > 0;
  const editedCount = Object.keys(draft.values).length;

  const stateOf = (key: SettingKey): FieldState => ({
    edited: key in draft.values,
    staleValue: draft.stale.has(key) ? describe(key, server[key], channels) : null,
    issue: issues[key],
    refused: props.invalidFields.includes(key),
    errorId: props.errorId,
  });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!dirty || saving || blocked) return;
    const saved = { ...draft.values };
    const outcome = await props.onSave(saved, saveVersion(draft, version));
    if (outcome === 'saved') setDraft((d) => dropSaved(d, saved, version));
  };
  const discard = () => {
    setDraft(emptyDraft(version));
    props.onDiscard();
  };

  return (
    <form className="settings-form" onSubmit={submit} noValidate aria-busy={saving || undefined}>
      <PrefixField
        value={shownValue('prefix')}
        saved={server.prefix}
        state={stateOf('prefix')}
        onEdit={(v) => edit('prefix', v)}
      />
      <LanguageField
        value={shownValue('language')}
        state={stateOf('language')}
        onEdit={(v) => edit('language', v)}
      />
      <LogChannelField
        value={shownValue('logChannelId')}
        channels={channels}
        channelsError={props.channelsError}
        state={stateOf('logChannelId')}
        onEdit={(v) => edit('logChannelId', v)}
      />
      <div className="form-footer">
        <p className="form-state" aria-live="polite">
          {dirty
            ? `${editedCount} unsaved ${editedCount === 1 ? 'change' : 'changes'}`
            : 'No unsaved changes'}
        </p>
        <button type="button" className="btn btn-ghost" disabled={!dirty || saving} onClick={discard}>
          Discard changes
        </button>
        <button
          type="submit"
          className="btn btn-primary"
          disabled={!dirty || saving || blocked}
          aria-busy={saving || undefined}
        >
          {saving && <span className="spinner" aria-hidden="true" />}
          Save
        </button>
      </div>
    </form>
  );
}
