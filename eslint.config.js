// ESLint (flat config): typescript-eslint's recommended rules (not type-aware) over src/, test/, scripts/ and bench/.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "dist/",
      "node_modules/",
      ".venv-sdk/",
      ".venv-az/",
      "test/programs/",
      "bench/profiles/",
      "test-artifacts/",
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    rules: {
      // TypeScript reports undefined names itself; the few .mjs scripts use only Node's globals.
      "no-undef": "off",
      // A leading underscore names what a destructuring drops on purpose (`{ deletedAt: _deletedAt, ...record }`).
      "@typescript-eslint/no-unused-vars": [
        "error",
        { varsIgnorePattern: "^_", argsIgnorePattern: "^_", ignoreRestSiblings: true },
      ],
      // A `let` that a closure reads before its one assignment (a logger that exists once the app is built) stays `let`.
      "prefer-const": ["error", { ignoreReadBeforeAssign: true }],
    },
  },
  {
    // Migrations and the store copy address tables by name, not through today's schema type: Kysely's own
    // migration guide types them `Kysely<any>`.
    files: ["src/store/migrations.ts", "src/store/copy.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
  {
    // Tests read untyped JSON answers from SDKs, the CLI and raw HTTP.
    files: ["test/**"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
);
