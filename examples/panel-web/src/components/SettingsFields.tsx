import type { ReactNode } from 'react';
import type { SettingKey } from '../draft.js';
import { LANGUAGES } from '../format.js';
import type { ChannelRef } from '../types.js';
import { Icon } from './Icon.js';

/** The state of one field of the settings form. */
export interface FieldState {
  edited: boolean;
  /** Someone else changed it meanwhile: what it is now ("Updated elsewhere"). */
  staleValue: string | null;
  /** What the client can tell is wrong with the edit (shown under the field). */
  issue: string | undefined;
  /** The page's error is about this field. */
  refused: boolean;
  /** The id of the page's error, when one is shown. */
  errorId: string | undefined;
}

/** ARIA and classes of a field's control. */
function controlProps(key: SettingKey, state: FieldState) {
  const notes = [`${key}-hint`];
  if (state.staleValue !== null) notes.push(`${key}-stale`);
  const invalid = state.issue !== undefined || state.refused;
  const errorMessage = state.issue !== undefined ? `${key}-error` : state.refused ? state.errorId : undefined;
  return {
    'aria-describedby': notes.join(' '),
    'aria-invalid': invalid || undefined,
    ...(errorMessage ? { 'aria-errormessage': errorMessage } : {}),
    className: ['field-control', state.edited ? 'is-edited' : '', invalid ? 'is-invalid' : '']
      .filter(Boolean)
      .join(' '),
  };
}

/** A labelled field: its control, what is wrong with it, a hint and the "Updated elsewhere" note. */
function Field({
  fieldKey,
  controlId,
  label,
  state,
  hint,
  children,
}: {
  fieldKey: SettingKey;
  controlId: string;
  label: string;
  state: FieldState;
  hint: ReactNode;
  children: ReactNode;
}) {
  return (
    <div className="field">
      <label className="field-label" htmlFor={controlId}>
        {label}
      </label>
      {children}
      {state.issue !== undefined && (
        <p className="field-error" id={`${fieldKey}-error`}>
          <Icon name="alert" size={14} />
          {label} {state.issue}.
        </p>
      )}
      <p className="field-hint" id={`${fieldKey}-hint`}>
        {hint}
      </p>
      {state.staleValue !== null && (
        <p className="field-note field-note-warn" id={`${fieldKey}-stale`}>
          <Icon name="alert" size={14} />
          Updated elsewhere: now “{state.staleValue}”. Your edit is kept until you save or reload.
        </p>
      )}
    </div>
  );
}

/** The prefix box; the hint's example uses the edit only when it is a valid prefix. */
export function PrefixField(props: {
  value: string;
  saved: string;
  state: FieldState;
  onEdit: (value: string) => void;
}) {
  const example = props.state.issue === undefined && props.value !== '' ? props.value : props.saved;
  const hint = (
    <>
      What members type before message commands, e.g. <code>{example}ping</code>. 1–5 characters, no spaces.
    </>
  );
  return (
    <Field fieldKey="prefix" controlId="setting-prefix" label="Prefix" state={props.state} hint={hint}>
      <input
        id="setting-prefix"
        name="prefix"
        type="text"
        autoComplete="off"
        autoCapitalize="off"
        spellCheck={false}
        value={props.value}
        onChange={(e) => props.onEdit(e.target.value)}
        {...controlProps('prefix', props.state)}
      />
    </Field>
  );
}

/** The language picker (a stored language the panel does not know stays selectable). */
export function LanguageField(props: { value: string; state: FieldState; onEdit: (value: string) => void }) {
  return (
    <Field
      fieldKey="language"
      controlId="setting-language"
      label="Language"
      state={props.state}
      hint="The language of the bot's replies."
    >
      <select
        id="setting-language"
        name="language"
        value={props.value}
        onChange={(e) => props.onEdit(e.target.value)}
        {...controlProps('language', props.state)}
      >
        {LANGUAGES.map((l) => (
          <option key={l.code} value={l.code}>
            {l.label}
          </option>
        ))}
        {!LANGUAGES.some((l) => l.code === props.value) && <option value={props.value}>{props.value}</option>}
      </select>
    </Field>
  );
}

/** The log-channel picker, with the server's text channels once they are known. */
export function LogChannelField(props: {
  value: string | null;
  channels: readonly ChannelRef[] | null;
  channelsError: string | null;
  state: FieldState;
  onEdit: (value: string | null) => void;
}) {
  const { value, channels, channelsError } = props;
  const known = value === null || (channels ?? []).some((c) => c.id === value);
  const hint = channelsError
    ? `Channel names are unavailable: ${channelsError}`
    : channels
      ? 'Where the bot posts moderation and server events.'
      : 'Loading channels…';
  return (
    <Field
      fieldKey="logChannelId"
      controlId="setting-log-channel"
      label="Log channel"
      state={props.state}
      hint={hint}
    >
      <select
        id="setting-log-channel"
        name="logChannelId"
        value={value ?? ''}
        onChange={(e) => props.onEdit(e.target.value === '' ? null : e.target.value)}
        {...controlProps('logChannelId', props.state)}
      >
        <option value="">No log channel</option>
        {(channels ?? []).map((c) => (
          <option key={c.id} value={c.id}>
            #{c.name}
          </option>
        ))}
        {!known && value !== null && (
          <option value={value}>{channels ? `Unknown channel (${value})` : value}</option>
        )}
      </select>
    </Field>
  );
}
