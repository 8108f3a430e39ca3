import { settingFields } from '@wolaro/panel-api/contract';
import { SETTING_KEYS, type SettingKey, type SettingValues } from './draft.js';

/**
 * What is wrong with edited settings, by field, checked with the API's own rules (the contract's
 * `settingFields`): what the client can tell is invalid is never sent.
 *
 * @example
 * ```ts
 * settingIssues({ prefix: 'a b' }); // { prefix: 'must not contain spaces' }
 * ```
 */
export function settingIssues(values: Partial<SettingValues>): Partial<Record<SettingKey, string>> {
  const issues: Partial<Record<SettingKey, string>> = {};
  for (const key of SETTING_KEYS) {
    if (!(key in values)) continue;
    const result = settingFields[key].safeParse(values[key]);
    if (result.success) continue;
    const messages = [...new Set(result.error.issues.map((issue) => issue.message))];
    issues[key] = messages.join(' and ');
  }
  return issues;
}
