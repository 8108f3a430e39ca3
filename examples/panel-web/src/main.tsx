import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { consumeTokenFromFragment } from './session.js';
import './styles.css';

// Back from the Discord login: /panel/#token=<jwt>&nonce=<n> → keep the token if this tab asked for
// it (same nonce), clean the address bar.
consumeTokenFromFragment();

const root = document.getElementById('root');
if (!root) throw new Error('#root is missing from index.html');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
