import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig } from 'vite';

/** Where `npm run dev` sends `/api` and `/socket.io` (the panel-api). */
const apiUrl = process.env['PANEL_API_URL'] ?? 'http://127.0.0.1:3000';

export default defineConfig({
  // panel-api serves dist/ at /panel (SPA fallback to index.html).
  base: '/panel/',
  plugins: [react()],
  // `@wolaro/panel-api/contract` is read from its source (the package's `@wolaro/source` export
  // condition), so the panel builds without building panel-api first.
  resolve: { conditions: ['@wolaro/source', ...defaultClientConditions] },
  server: {
    host: '127.0.0.1',
    port: 5173,
    strictPort: true,
    proxy: {
      '/api': { target: apiUrl },
      '/socket.io': { target: apiUrl, ws: true },
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    target: 'es2022',
  },
});
