import { useState } from 'react';
import { Icon } from '../components/Icon.js';
import { startLogin } from '../session.js';

const DISCORD_PATH =
  'M20.3 4.4A19.6 19.6 0 0 0 15.4 3l-.6 1.3a18.2 18.2 0 0 0-5.6 0L8.6 3a19.5 19.5 0 0 0-4.9 1.5C.6 9.1-.3 13.6.1 18.1a19.8 19.8 0 0 0 6 3l1.3-2.1a12.8 12.8 0 0 1-2-1l.5-.4a14.1 14.1 0 0 0 12.2 0l.5.4c-.6.4-1.3.7-2 1l1.3 2.1a19.7 19.7 0 0 0 6-3c.5-5.2-.9-9.7-3.6-13.7zM8 15.4c-1.2 0-2.2-1.1-2.2-2.4s1-2.4 2.2-2.4 2.2 1.1 2.2 2.4-1 2.4-2.2 2.4zm8 0c-1.2 0-2.2-1.1-2.2-2.4s1-2.4 2.2-2.4 2.2 1.1 2.2 2.4-1 2.4-2.2 2.4z';

/** "Log in with Discord": panel-api runs the OAuth2 flow and comes back with `#token=` and this tab's nonce. */
export function LoginPage({ notice }: { notice: string | null }) {
  const [leaving, setLeaving] = useState(false);
  const login = () => {
    setLeaving(true);
    window.location.href = startLogin();
  };
  return (
    <main className="login" id="main">
      <div className="login-card card">
        <span className="brand-mark brand-mark-lg">
          <Icon name="logo" size={34} />
        </span>
        <h1 className="login-title">Wolaro Panel</h1>
        <p className="login-lead">
          Configure your Discord bot and watch it work. Every change reaches the bot and every open panel in
          real time.
        </p>
        {notice && (
          <p className="banner banner-info login-notice" role="alert">
            {notice}
          </p>
        )}
        <button
          type="button"
          className="btn btn-discord btn-block"
          onClick={login}
          aria-busy={leaving || undefined}
        >
          <svg
            width="22"
            height="22"
            viewBox="0 0 24 24"
            aria-hidden="true"
            focusable="false"
            fill="currentColor"
          >
            <path d={DISCORD_PATH} />
          </svg>
          Log in with Discord
        </button>
        <p className="login-foot muted">
          You see the servers you own or administer where the Wolaro bot is installed.
        </p>
      </div>
    </main>
  );
}
