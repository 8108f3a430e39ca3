import type { Language } from '@wolaro/panel-api/contract';
import type { ModuleState, Revision } from './types.js';

/** "Wolaro Demo" → "WD"; "général" → "G". */
export function initials(name: string): string {
  const words = name
    .replace(/[^\p{L}\p{N}\s]/gu, ' ')
    .split(/\s+/)
    .filter(Boolean);
  const letters = words.length > 1 ? [words[0]!, words[1]!].map((w) => w[0]) : [words[0]?.slice(0, 2)];
  return letters.join('').toUpperCase() || '?';
}

/** A stable hue (0-359) for an id, to tell guild avatars apart. */
export function hueOf(id: string): number {
  let h = 0x811c9dc5; // FNV-1a: ids that differ in one digit still get far-apart hues
  for (const ch of id) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return h % 360;
}

/** Languages panel-api accepts (the contract's `LANGUAGES`), in their own names. */
export const LANGUAGES: readonly { code: Language; label: string }[] = [
  { code: 'en', label: 'English' },
  { code: 'fr', label: 'Français' },
  { code: 'de', label: 'Deutsch' },
  { code: 'es', label: 'Español' },
  { code: 'it', label: 'Italiano' },
  { code: 'nl', label: 'Nederlands' },
  { code: 'pt', label: 'Português' },
];

/** The bot's modules, in display order, with what they do. */
export const MODULES: readonly { name: string; label: string; description: string }[] = [
  { name: 'moderation', label: 'Moderation', description: '/ban, /warn and friends, with audit trail' },
  { name: 'welcome', label: 'Welcome', description: 'Greets new members in a channel' },
  { name: 'logging', label: 'Logging', description: 'Posts server events to the log channel' },
];

export function moduleLabel(name: string): string {
  return MODULES.find((m) => m.name === name)?.label ?? name.charAt(0).toUpperCase() + name.slice(1);
}

export const SETTING_LABELS: Record<string, string> = {
  prefix: 'Prefix',
  language: 'Language',
  logChannelId: 'Log channel',
};

const timeFormat = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/** 14:03:27 */
export function clockTime(ms: number): string {
  return timeFormat.format(ms);
}

/** 28 Nov 2025, 14:03:27 */
export function fullDateTime(ms: number): string {
  return dateTimeFormat.format(ms);
}

/** "just now", "5 minutes ago", "yesterday"... */
export function relativeTime(ms: number, now = Date.now()): string {
  const seconds = Math.round((ms - now) / 1000);
  if (Math.abs(seconds) < 45) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (Math.abs(minutes) < 60) return relativeFormat.format(minutes, 'minute');
  const hours = Math.round(minutes / 60);
  if (Math.abs(hours) < 24) return relativeFormat.format(hours, 'hour');
  return relativeFormat.format(Math.round(hours / 24), 'day');
}

export function parseTime(value: string | number): number {
  const ms = typeof value === 'number' ? value : Date.parse(value);
  return Number.isFinite(ms) ? ms : Date.now();
}

function display(key: string, value: unknown, channelName: (id: string) => string | undefined): string {
  if (value === null || value === undefined || value === '') return 'none';
  if (key === 'logChannelId' && typeof value === 'string') {
    const name = channelName(value);
    return name ? `#${name}` : value;
  }
  if (key === 'language' && typeof value === 'string') {
    return LANGUAGES.find((l) => l.code === value)?.label ?? value;
  }
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * What a revision changed compared with the one before it: `Prefix: ! → ?`, `Welcome on`...
 * Without the older revision it falls back to the revision's `change` label.
 */
export function revisionSummary(
  revision: Revision,
  previous: Revision | undefined,
  channelName: (id: string) => string | undefined = () => undefined,
): string[] {
  if (revision.change === 'created') return ['Server added'];
  const parts: string[] = [];
  const restored = /^restore:(\d+)$/.exec(revision.change);
  if (restored) parts.push(`Restored version ${restored[1]}`);
  if (previous) {
    const keys = new Set([...Object.keys(revision.settings), ...Object.keys(previous.settings)]);
    for (const key of keys) {
      const before = previous.settings[key];
      const after = revision.settings[key];
      if (JSON.stringify(before) === JSON.stringify(after)) continue;
      parts.push(
        `${SETTING_LABELS[key] ?? key}: ${display(key, before, channelName)} → ${display(key, after, channelName)}`,
      );
    }
    const names = new Set([...Object.keys(revision.modules), ...Object.keys(previous.modules)]);
    for (const name of names) {
      const before: ModuleState | undefined = previous.modules[name];
      const after: ModuleState | undefined = revision.modules[name];
      if (before?.enabled !== after?.enabled) {
        parts.push(`${moduleLabel(name)} ${after?.enabled ? 'on' : 'off'}`);
      } else if (JSON.stringify(before?.config) !== JSON.stringify(after?.config)) {
        parts.push(`${moduleLabel(name)} options`);
      }
    }
  }
  if (parts.length === 0 && !previous) {
    if (revision.change === 'settings') parts.push('Settings changed');
    else if (revision.change.startsWith('module:'))
      parts.push(`${moduleLabel(revision.change.slice(7))} changed`);
    else parts.push(revision.change);
  } else if (parts.length === 0) {
    parts.push('No change');
  }
  return parts;
}
