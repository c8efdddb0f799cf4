// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import { debt } from './eslint.debt.mjs';

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

/** The apps: none imports another's source (what they share lives in a library). */
const apps = ['consent-api', 'projector', 'connectors', 'decision-api', 'auditor'];

/** Imports every file must do without; the debt lists below name the files that still do. */
const layering = {
  deepIntoLibrary: {
    // Named entry points a library offers besides its index: the domain's test fixtures, and the
    // log reader's port without its adapters (for the auditor CLI's quick start).
    group: [
      '@consent-ledger/*/**',
      '!@consent-ledger/consent-domain/consent-domain.fixtures',
      '!@consent-ledger/log-reader/log-reader',
    ],
    message:
      'Import a library by its name (@consent-ledger/kafka), not a file inside it: what it exports is its contract.',
  },
  relativeIntoLibrary: {
    regex: '^(\\.\\./)+libs/',
    message: 'Import a library by its name (@consent-ledger/...), not by a relative path.',
  },
  anotherApp: {
    regex: `^(\\.\\./)+(apps/)?(${apps.join('|')})/`,
    message: "An app never imports another app's source: share it through a library.",
  },
  clientsOutsideLibs: {
    group: ['kafkajs', 'pg', 'typeorm'],
    message: 'kafkajs, pg and TypeORM are used inside libs/ only: reach them through a port there.',
  },
};

const restrict = (...patterns) => ['error', { patterns }];

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
      // What a file needs at run time reads at a glance: names used only as types are imported
      // by an `import type` statement of their own, never mixed into a value import.
      'no-restricted-syntax': [
        'error',
        {
          selector: "ImportDeclaration[importKind='value'] > ImportSpecifier[importKind='type']",
          message: 'Import types with a separate `import type { ... }` statement.',
        },
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
    // About 300 lines a file and 40 a function (STYLE.md); tests' describe blocks are exempt
    // from the function limit (each `it` is its own function and is held to it).
    files: ['**/*.ts'],
    rules: {
      'max-lines': ['error', { max: 300, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    files: ['**/*.ts'],
    ignores: ['**/*.spec.ts', '**/*.int-spec.ts', 'libs/persistence/src/migrations/**'],
    rules: {
      'max-lines-per-function': [
        'error',
        { max: 40, skipBlankLines: true, skipComments: true, IIFEs: true },
      ],
    },
  },
  { files: debt.overThreeHundredLines, rules: { 'max-lines': 'off' } },
  { files: debt.longFunctions, rules: { 'max-lines-per-function': 'off' } },
  {
    files: ['apps/**/*.ts', 'libs/**/*.ts', 'bench/**/*.ts', 'test/**/*.ts'],
    ignores: ['libs/consent-domain/src/**/*.ts'],
    rules: {
      'no-restricted-imports': restrict(
        layering.deepIntoLibrary,
        layering.relativeIntoLibrary,
        layering.anotherApp,
      ),
    },
  },
  {
    files: ['apps/**/*.ts'],
    ignores: ['apps/*/test/**', '**/*.spec.ts', '**/*.int-spec.ts'],
    rules: {
      'no-restricted-imports': restrict(
        layering.deepIntoLibrary,
        layering.relativeIntoLibrary,
        layering.anotherApp,
        layering.clientsOutsideLibs,
      ),
    },
  },
  {
    files: debt.clientsOutsideLibs,
    rules: {
      'no-restricted-imports': restrict(
        layering.deepIntoLibrary,
        layering.relativeIntoLibrary,
        layering.anotherApp,
      ),
    },
  },
  { files: debt.deepImports, rules: { 'no-restricted-imports': 'off' } },
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
