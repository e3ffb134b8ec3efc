// @ts-check
import js from '@eslint/js';
import { readdirSync } from 'node:fs';
import tseslint from 'typescript-eslint';

/**
 * The layers of src/, lowest first: a folder may import its own layer and those below, never one
 * above (docs/architecture.md draws them). util and errors.ts are the floor; host (facts read from
 * the machine) and engine (the Docker socket) sit on it, and engine may read host facts; remote
 * (other hosts over ssh) sits beside attach and uses the session core; cli and tui are peers at the top and never import each other, except that `cx ui` loads the TUI through
 * its one entry.
 */
const LAYERS = [
  ['util', []],
  ['host', ['engine']],
  ['engine', []],
  ['discovery', []],
  ['backends', []],
  ['session', []],
  ['attach', []],
  ['remote', []],
  ['cli', ['tui']],
  ['tui', ['cli']],
];
const RANK = { util: 0, host: 1, engine: 1, discovery: 2, backends: 3, session: 4, attach: 5, remote: 5, cli: 6, tui: 6 };

// A folder of src/ that is in no layer would escape the rule: make adding one a decision.
for (const entry of readdirSync(new URL('./src', import.meta.url), { withFileTypes: true })) {
  if (entry.isDirectory() && !(entry.name in RANK))
    throw new Error(`eslint.config.js: src/${entry.name} is in no layer; add it to LAYERS and RANK`);
}

/** The folders a file in `layer` must not import: every higher layer, and the named peers. */
function forbidden(layer, peers) {
  return Object.keys(RANK).filter((other) => RANK[other] > RANK[layer] || peers.includes(other));
}

const layerRules = LAYERS.map(([layer, peers]) => ({
  files: [`src/${layer}/**/*.ts`, `src/${layer}/**/*.tsx`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            group: [...forbidden(layer, peers).map((f) => `**/${f}/**`), ...(layer === 'cli' ? ['!**/tui/entry.js'] : [])],
            message: `src/${layer} may not import a higher layer (or a peer): move the shared code down a layer instead.`,
          },
        ],
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'native/build/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-control-regex': 'off',
    },
  },
  ...layerRules,
  {
    // The command files are imported by program.ts: importing it back would close a cycle.
    files: ['src/cli/commands/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/program.js'], message: 'program.ts imports the commands; a command importing it back closes a cycle.' },
            { group: ['**/tui/**', '!**/tui/entry.js'], message: 'the CLI reaches the TUI only through src/tui/entry.ts.' },
          ],
        },
      ],
    },
  },
  {
    // errors.ts is part of the floor, with util.
    files: ['src/errors.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['./*/**'], message: 'errors.ts is a leaf: it imports nothing from src/.' }] },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  {
    // Plain CommonJS (bench/floor-nsenter.cjs: a floor measured without any loader).
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', process: 'readonly', Buffer: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
