// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

/** Packages that do I/O or tie code to a framework: the pure domain must not import them. */
const infrastructurePackages = [
  '@nestjs/*',
  'kafkajs',
  '@kafkajs/*',
  'typeorm',
  'pg',
  'avsc',
  'node:fs',
  'fs',
  'node:net',
  'node:http',
];

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      'coverage/**',
      'bench/results/**',
      '**/*.js',
      '**/*.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      // Configuration is read once, validated, in libs/config; nothing else reads the environment.
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'Read configuration through @consent-ledger/config.',
        },
      ],
    },
  },
  {
    files: ['libs/config/src/**/*.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // The pure core: no framework, broker, database or serialisation imports (STYLE.md, layering).
    files: ['libs/consent-domain/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: infrastructurePackages,
              message: 'libs/consent-domain is pure: no I/O or framework imports.',
            },
            {
              group: ['@consent-ledger/*'],
              message: 'libs/consent-domain depends on no other lib.',
            },
          ],
        },
      ],
    },
  },
);
