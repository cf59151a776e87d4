// @ts-check
import js from "@eslint/js";
import { defineConfig, globalIgnores } from "eslint/config";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

// Files that may read process.env: the one env.ts per app (validated, fails fast), the Prisma CLI
// config, tooling that is configured by its environment (tests, scripts, benchmarks, the seed).
const PROCESS_ENV_ALLOWED = [
  "**/env.ts",
  "prisma.config.ts",
  "playwright.config.ts",
  "**/vitest.config.ts",
  "**/*.test.ts",
  "**/*.spec.ts",
  "**/test/**",
  "e2e/**",
  "scripts/**",
  "bench/**",
  "prisma/seed*.ts",
];

const PROCESS_ENV_MESSAGE = "Read configuration through the app's env.ts (validated once), not process.env.";

export default defineConfig(
  globalIgnores([
    "**/node_modules/",
    "**/dist/",
    ".data/",
    ".turbo/",
    "packages/db/src/generated/",
    "test-results/",
    "playwright-report/",
    "bench/results/",
  ]),
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        // Each file is checked with the nearest tsconfig.json (root tsconfig.json covers the
        // root config files, e2e/ and prisma/).
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
      globals: { ...globals.node },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "@typescript-eslint/switch-exhaustiveness-check": [
        "error",
        // A `default` branch is a deliberate catch-all; an omitted case without one is the bug.
        { considerDefaultExhaustiveForUnions: true },
      ],
      // Off: in-memory and fake implementations of async ports are `async` without awaiting, by
      // design. Forgotten awaits are caught by no-floating-promises and await-thenable instead.
      "@typescript-eslint/require-await": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "no-restricted-properties": ["error", { object: "process", property: "env", message: PROCESS_ENV_MESSAGE }],
      "no-restricted-syntax": [
        "error",
        // `const { env } = process` and `process["env"]` slip past no-restricted-properties' intent.
        { selector: "VariableDeclarator[init.name='process'] > ObjectPattern", message: PROCESS_ENV_MESSAGE },
        {
          selector: "MemberExpression[object.name='process'][computed=true][property.value='env']",
          message: PROCESS_ENV_MESSAGE,
        },
      ],
      "no-restricted-imports": [
        "error",
        {
          paths: [
            { name: "process", importNames: ["env"], message: PROCESS_ENV_MESSAGE },
            { name: "node:process", importNames: ["env"], message: PROCESS_ENV_MESSAGE },
          ],
        },
      ],
    },
  },
  {
    // Tests read untyped JSON bodies (`await res.json()`) and poke at them with expect(); typing
    // every response there adds noise, not safety. Calls and returns of `any` stay errors.
    files: ["**/*.test.ts", "**/test/**", "e2e/**"],
    rules: {
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
    },
  },
  {
    files: PROCESS_ENV_ALLOWED,
    rules: { "no-restricted-properties": "off", "no-restricted-syntax": "off", "no-restricted-imports": "off" },
  },
  {
    // Plain JavaScript (this file, scripts/*.mjs) is in no tsconfig: lint it without type information.
    files: ["**/*.js", "**/*.mjs", "**/*.cjs"],
    extends: [tseslint.configs.disableTypeChecked],
    rules: { "@typescript-eslint/consistent-type-imports": "off" },
  },
  {
    files: ["apps/web/src/**/*.{ts,tsx}"],
    extends: [reactHooks.configs.flat.recommended],
    languageOptions: { globals: { ...globals.browser } },
  },
);
