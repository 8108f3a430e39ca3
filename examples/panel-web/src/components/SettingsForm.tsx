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
import type { ChannelRef, GuildSettings } from '../types.js';
import { Icon } from './Icon.js';

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
 * Prefix, language and log channel. Edits stay local until "Save"; live updates refresh every
 * field the user has not edited, and an edited field that changed elsewhere keeps the user's value
 * with an "Updated elsewhere" note (saving it then asks through a 409 instead of overwriting).
 */
export function SettingsForm({
  settings,
  version,
  channels,
  channelsError,
  saving,
  invalidFields,
  errorId,
  onSave,
}: {
  settings: GuildSettings;
  version: number;
  channels: readonly ChannelRef[] | null;
  channelsError: string | null;
  saving: boolean;
  invalidFields: readonly SettingKey[];
  errorId: string | undefined;
  onSave: (patch: Partial<SettingValues>, version: number) => Promise<SaveOutcome>;
}) {
  const server = valuesOf(settings);
  const [draft, setDraft] = useState<Draft>(() => emptyDraft(version));
  const [shown, setShown] = useState({ server, version });
  if (shown.version !== version || !sameValues(shown.server, server)) {
    // The server state changed (live update, refetch, save): rebase the edits on it.
    setShown({ server, version });
    setDraft((d) => rebaseDraft(d, shown.server, server, version));
  }

  const shownValue = <K extends SettingKey>(key: K): SettingValues[K] =>
    key in draft.values ? (draft.values[key] as SettingValues[K]) : server[key];
  const edit = <K extends SettingKey>(key: K, value: SettingValues[K]) =>
    setDraft((d) => editDraft(d, key, value, server, version));

  const dirty = isDirty(draft);
  const editedCount = Object.keys(draft.values).length;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!dirty || saving) return;
    const saved = { ...draft.values };
    const outcome = await onSave(saved, saveVersion(draft, version));
    if (outcome === 'saved') setDraft((d) => dropSaved(d, saved, version));
  };

  const fieldProps = (key: SettingKey) => {
    const notes = [`${key}-hint`];
    if (draft.stale.has(key)) notes.push(`${key}-stale`);
    const invalid = invalidFields.includes(key);
    return {
      'aria-describedby': notes.join(' '),
      'aria-invalid': invalid || undefined,
      ...(invalid && errorId ? { 'aria-errormessage': errorId } : {}),
      className: ['field-control', key in draft.values ? 'is-edited' : '', invalid ? 'is-invalid' : '']
        .filter(Boolean)
        .join(' '),
    };
  };

  const staleNote = (key: SettingKey) =>
    draft.stale.has(key) ? (
      <p className="field-note field-note-warn" id={`${key}-stale`}>
        <Icon name="alert" size={14} />
        Updated elsewhere: now “{describe(key, server[key], channels)}”. Your edit is kept until you save or
        reload.
      </p>
    ) : null;

  const language = shownValue('language');
  const logChannelId = shownValue('logChannelId');
  const textChannels = channels ?? [];
  const knownChannel = logChannelId === null || textChannels.some((c) => c.id === logChannelId);

  return (
    <form className="settings-form" onSubmit={submit} noValidate aria-busy={saving || undefined}>
      <div className="field">
        <label className="field-label" htmlFor="setting-prefix">
          Prefix
        </label>
        <input
          id="setting-prefix"
          name="prefix"
          type="text"
          autoComplete="off"
          autoCapitalize="off"
          spellCheck={false}
          value={shownValue('prefix')}
          onChange={(e) => edit('prefix', e.target.value)}
          {...fieldProps('prefix')}
        />
        <p className="field-hint" id="prefix-hint">
          What members type before message commands, e.g. <code>{shownValue('prefix') || '!'}ping</code>. 1–5
          characters, no spaces.
        </p>
        {staleNote('prefix')}
      </div>

      <div className="field">
        <label className="field-label" htmlFor="setting-language">
          Language
        </label>
        <select
          id="setting-language"
          name="language"
          value={language}
          onChange={(e) => edit('language', e.target.value)}
          {...fieldProps('language')}
        >
          {LANGUAGES.map((l) => (
            <option key={l.code} value={l.code}>
              {l.label}
            </option>
          ))}
          {!LANGUAGES.some((l) => l.code === language) && <option value={language}>{language}</option>}
        </select>
        <p className="field-hint" id="language-hint">
          The language of the bot's replies.
        </p>
        {staleNote('language')}
      </div>

      <div className="field">
        <label className="field-label" htmlFor="setting-log-channel">
          Log channel
        </label>
        <select
          id="setting-log-channel"
          name="logChannelId"
          value={logChannelId ?? ''}
          onChange={(e) => edit('logChannelId', e.target.value === '' ? null : e.target.value)}
          {...fieldProps('logChannelId')}
        >
          <option value="">No log channel</option>
          {textChannels.map((c) => (
            <option key={c.id} value={c.id}>
              #{c.name}
            </option>
          ))}
          {!knownChannel && logChannelId !== null && (
            <option value={logChannelId}>
              {channels ? `Unknown channel (${logChannelId})` : logChannelId}
            </option>
          )}
        </select>
        <p className="field-hint" id="logChannelId-hint">
          {channelsError
            ? `Channel names are unavailable: ${channelsError}`
            : channels
              ? 'Where the bot posts moderation and server events.'
              : 'Loading channels…'}
        </p>
        {staleNote('logChannelId')}
      </div>

      <div className="form-footer">
        <p className="form-state" aria-live="polite">
          {dirty
            ? `${editedCount} unsaved ${editedCount === 1 ? 'change' : 'changes'}`
            : 'No unsaved changes'}
        </p>
        <button
          type="button"
          className="btn btn-ghost"
          disabled={!dirty || saving}
          onClick={() => setDraft(emptyDraft(version))}
        >
          Discard changes
        </button>
        <button
          type="submit"
          className="btn btn-primary"
          disabled={!dirty || saving}
          aria-busy={saving || undefined}
        >
          {saving && <span className="spinner" aria-hidden="true" />}
          Save
        </button>
      </div>
    </form>
  );
}
