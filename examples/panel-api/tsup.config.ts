import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'contract/index': 'src/contract/index.ts',
    main: 'src/main.ts',
    'cli/token': 'src/cli/token.ts',
  },
  format: ['esm'],
  dts: { entry: { index: 'src/index.ts', 'contract/index': 'src/contract/index.ts' } },
  clean: true,
  sourcemap: true,
  target: 'node20',
});
