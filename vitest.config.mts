import { defineConfig } from "vitest/config";

export default defineConfig({
    test: {
        projects: [
            {
                test: { name: "unit", include: ["test/unit/**/*.test.ts"], testTimeout: 30_000 },
            },
            {
                // Real Docker, real CLI: one file at a time (2 cores), generous timeouts.
                test: {
                    name: "integration",
                    include: ["test/integration/**/*.test.ts"],
                    testTimeout: 15 * 60_000,
                    hookTimeout: 20 * 60_000,
                    fileParallelism: false,
                },
            },
        ],
    },
});
