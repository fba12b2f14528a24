import { defineConfig } from "vitest/config";

// One id per run, on every figure the tests record (test/figures.ts); scripts/test sets it
// and appends the run's results under it; a bare `vitest run` gets its own (workers inherit it).
process.env.BURROW_TEST_RUN ||= `${new Date().toISOString().replace(/[-:]|\.\d+/g, "")}-${process.pid}`;

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
