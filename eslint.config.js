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
      // Only module loading counts: `import`, `import()`, `require()` and createRequire's
      // require of a path ending in .node (a string like 'signal.node' is just a string).
      'no-restricted-syntax': ['error',
        ...['ImportDeclaration > Literal', 'ImportExpression > Literal', "CallExpression[callee.name='require'] > Literal"]
          .map((ctx) => ({ selector: `${ctx}[value=/\\.node$/]`, message: 'only sensor/src/native loads the .node addon' })),
      ],
    },
  },
);
