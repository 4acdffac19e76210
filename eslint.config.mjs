// typescript-eslint's recommended rules (syntax only, no type information: fast enough to run on every CI run),
// over the sources, tests, bench and scripts. Formatting is prettier's job, not the linter's.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'src/generated/',
      'examples/typed-client/gql/',
      'dist/',
      '.data/',
      '.scratch/',
      'bench/results/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // `_name` marks a parameter or binding kept on purpose (resolver signatures, destructuring to drop a field).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          caughtErrors: 'none',
        },
      ],
    },
  },
  {
    // Node's own globals in the plain JavaScript files (config and scripts).
    files: ['**/*.js', '**/*.mjs'],
    ignores: ['src/edge/pages/**'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        module: 'writable',
        require: 'readonly',
        __dirname: 'readonly',
      },
    },
  },
  {
    // The pages' browser scripts: the browser's globals, those of the builds the pages load before them, and the
    // lines the server puts in front of each (src/edge/pages/globals.d.ts types them all).
    files: ['src/edge/pages/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: {
        window: 'readonly',
        document: 'readonly',
        location: 'readonly',
        sessionStorage: 'readonly',
        fetch: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        setInterval: 'readonly',
        URLSearchParams: 'readonly',
        AUTHORIZATION: 'readonly',
        MAX_ROWS: 'readonly',
        WINDOW_MINUTES: 'readonly',
        graphqlWs: 'readonly',
        React: 'readonly',
        ReactDOM: 'readonly',
        GraphiQL: 'readonly',
      },
    },
  },
  {
    // What live-series.js and live-chart.js (each marks them /* exported */) give the live page's script, which the
    // page loads after them: classic scripts share their top-level names.
    files: ['src/edge/pages/live.js'],
    languageOptions: { globals: { secondsSeries: 'readonly', roundTop: 'readonly', drawChart: 'readonly' } },
  },
  {
    files: ['test/**', 'bench/**'],
    rules: {
      // Responses of the API under test are checked field by field; typing every one buys nothing there.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
