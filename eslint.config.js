// Lint: typescript-eslint's recommended rules plus the layering rules of STYLE.md
// (only the native facade imports the .node file; the API package imports only zod).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/build/**', '**/*.generated.*', 'sensor/native/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['operator/src/api/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(?!zod$|\\.{1,2}/|node:).*', message: 'operator/src/api imports only zod' }] }],
    },
  },
  {
    files: ['**/*.ts'],
    ignores: ['sensor/src/native/**'],
    rules: {
      'no-restricted-syntax': ['error', { selector: "Literal[value=/\\.node$/]", message: 'only sensor/src/native loads the .node addon' }],
    },
  },
);
