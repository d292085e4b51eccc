// One flat config for the whole workspace. Module boundaries are enforced by tags set in each
// project.json: services never import services, libs never import services, and a schema lib
// (type:schema) imports nothing with I/O.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import nx from '@nx/eslint-plugin';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.nx/**', 'bench-results/**', 'test-artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          allow: [],
          banTransitiveDependencies: false,
          depConstraints: [
            { sourceTag: 'type:service', onlyDependOnLibsWithTags: ['type:lib', 'type:schema'] },
            { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib', 'type:schema'] },
            { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib', 'type:schema'] },
            { sourceTag: 'type:schema', onlyDependOnLibsWithTags: ['type:schema'] },
            {
              sourceTag: 'type:schema',
              bannedExternalImports: ['ioredis', 'bullmq', 'ws', 'pino', '@slack/*', 'node:http', 'node:net', 'prom-client'],
            },
            { sourceTag: 'scope:app', onlyDependOnLibsWithTags: ['scope:shared', 'scope:app'] },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: false }],
    },
  },
  {
    files: ['**/*.mjs', '**/*.cjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
