import { describe, expect, it } from 'vitest';
import {
  dropSaved,
  editDraft,
  emptyDraft,
  isDirty,
  rebaseDraft,
  type SettingValues,
  saveVersion,
} from '../src/draft.js';

const server: SettingValues = { prefix: '!', language: 'en', logChannelId: null };

describe('settings draft', () => {
  it('an edit back to the server value is no edit', () => {
    const d1 = editDraft(emptyDraft(3), 'prefix', '?', server, 3);
    expect(d1.values).toEqual({ prefix: '?' });
    expect(d1.baseVersion).toBe(3);
    const d2 = editDraft(d1, 'prefix', '!', server, 3);
    expect(isDirty(d2)).toBe(false);
  });

  it('untouched fields follow the server; edited ones are kept and flagged when changed elsewhere', () => {
    const edited = editDraft(emptyDraft(3), 'prefix', '>>', server, 3);
    // someone changes the language: the draft does not care
    const afterLanguage = rebaseDraft(edited, server, { ...server, language: 'fr' }, 4);
    expect(afterLanguage.values).toEqual({ prefix: '>>' });
    expect(afterLanguage.stale.size).toBe(0);
    expect(saveVersion(afterLanguage, 4)).toBe(4);
    // someone changes the prefix too: kept, stale, and saving uses the old version (→ 409)
    const afterPrefix = rebaseDraft(
      afterLanguage,
      { ...server, language: 'fr' },
      { ...server, language: 'fr', prefix: '%' },
      5,
    );
    expect(afterPrefix.values).toEqual({ prefix: '>>' });
    expect([...afterPrefix.stale]).toEqual(['prefix']);
    expect(saveVersion(afterPrefix, 5)).toBe(3);
  });

  it('an edit the server now matches is done', () => {
    const edited = editDraft(emptyDraft(3), 'prefix', '?', server, 3);
    const rebased = rebaseDraft(edited, server, { ...server, prefix: '?' }, 4);
    expect(isDirty(rebased)).toBe(false);
    expect(rebased.baseVersion).toBe(4);
  });

  it('a save drops the saved edits and keeps newer ones', () => {
    let d = editDraft(emptyDraft(3), 'prefix', '?', server, 3);
    d = editDraft(d, 'language', 'de', server, 3);
    const kept = dropSaved(d, { prefix: '?' }, 4);
    expect(kept.values).toEqual({ language: 'de' });
  });
});
