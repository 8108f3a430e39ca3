import { escapeHtml } from '../http/http_result.js';
import type { UserRecord } from '../state/records.js';

/** A user choice on the authorize page. */
export interface AuthorizeChoice {
  user: UserRecord;
  href: string;
  /** e.g. "Owner of Wolaro Demo", "Admin". */
  description: string;
}

const STYLE = `body{font-family:system-ui,sans-serif;background:#313338;color:#dbdee1;display:flex;justify-content:center;padding:40px}
main{background:#2b2d31;border-radius:8px;padding:24px 32px;max-width:520px;width:100%}
h1{font-size:20px;color:#f2f3f5}a.user{display:flex;gap:12px;align-items:center;padding:10px;border-radius:6px;color:inherit;text-decoration:none}
a.user:hover{background:#404249}.avatar{width:36px;height:36px;border-radius:50%;background:#5865f2;color:#fff;display:flex;align-items:center;justify-content:center;font-weight:600}
small{color:#949ba4}.deny{display:inline-block;margin-top:16px;color:#f23f43}code{color:#f2f3f5}`;

/** The emulator's authorize page: pick a seeded user to log in as (no password). */
export function authorizePage(
  appName: string,
  scopes: readonly string[],
  choices: readonly AuthorizeChoice[],
  denyHref: string,
): string {
  const items = choices
    .map((choice) => {
      const name = choice.user.global_name ?? choice.user.username;
      return `<li><a class="user" href="${escapeHtml(choice.href)}" data-user-id="${escapeHtml(choice.user.id)}">
<span class="avatar">${escapeHtml(name.slice(0, 1).toUpperCase())}</span>
<span><strong>${escapeHtml(name)}</strong> <small>@${escapeHtml(choice.user.username)} · ${escapeHtml(choice.user.id)}</small><br>
<small>${escapeHtml(choice.description)}</small></span></a></li>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Authorize ${escapeHtml(appName)} · Discord emulator</title>
<style>${STYLE}</style></head>
<body><main>
<h1>${escapeHtml(appName)} wants to access your account</h1>
<p>Scopes: <code>${escapeHtml(scopes.join(' '))}</code></p>
<p>Discord emulator: choose who you are (approved at once).</p>
<ul style="list-style:none;padding:0">${items}</ul>
<a class="deny" href="${escapeHtml(denyHref)}">Cancel</a>
</main></body></html>`;
}

/** A small error page for authorize requests that can't be redirected. */
export function errorPage(message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>OAuth2 error · Discord emulator</title>
<style>${STYLE}</style></head><body><main><h1>Invalid OAuth2 request</h1><p>${escapeHtml(message)}</p></main></body></html>`;
}
