// ESLint (with typescript-eslint's recommended rules): catches real mistakes (unused code,
// floating promises are left to review, `any` leaks) that tsc does not. Prettier owns layout.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
    {
        ignores: [
            "node_modules/",
            "dist/",
            ".toolchain/",
            ".pulumi-state/",
            "toolchain/",
            "bench/results/",
            "**/*.js",
            "**/*.mjs",
        ],
    },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        rules: {
            // Dynamic providers are loaded with require() by module path (lib/dynamic-resource.ts),
            // and heavy modules (amqplib, ssh2, node-forge) are required lazily on purpose.
            "@typescript-eslint/no-require-imports": "off",
            "@typescript-eslint/no-unused-vars": [
                "error",
                { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" },
            ],
        },
    },
);
