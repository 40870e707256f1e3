// ESLint flat config: `npm run lint`. Correctness only — no stylistic rules (formatting is not
// linted). TypeScript (src, test) gets typescript-eslint's recommended rules plus a few type-aware
// ones that catch real bugs with promises; the bench scripts are plain Node ESM.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    ignores: ['dist/', 'coverage/', 'node_modules/', 'bench/results/'],
  },
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: globals.node,
    },
    rules: {
      // A promise nobody awaits or catches loses its rejection (an unhandled rejection ends the process).
      '@typescript-eslint/no-floating-promises': 'error',
      // An async function where a callback's return is ignored (event handlers, forEach, conditions).
      '@typescript-eslint/no-misused-promises': 'error',
      // `await` on something that is not a promise is almost always a mistake.
      '@typescript-eslint/await-thenable': 'error',
      // Throwing or rejecting with something that is not an Error loses the stack trace.
      '@typescript-eslint/only-throw-error': 'error',
      // (Values typed `any`, such as the error `once(emitter, 'error')` yields, pass, as they do in only-throw-error.)
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingAny: true, allowThrowingUnknown: true }],
      // The wrapping errors prox throws (e.g. "cannot listen on …: address already in use") carry
      // the cause in their message on purpose; a `cause` too would print it twice through pino's
      // error serializer.
      'preserve-caught-error': 'off',
      // Unused parameters named `_x` are deliberate (interface conformance).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
    },
  },
  {
    files: ['**/*.{js,mjs,cjs}'],
    extends: [js.configs.recommended],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['**/*.cjs', 'jest.config.js'],
    languageOptions: { sourceType: 'commonjs' },
  },
);
