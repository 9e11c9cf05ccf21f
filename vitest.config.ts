import { defineConfig } from "vitest/config";

// Two projects, chosen by where a test lives, so a new test lands in the right one on its own:
// - slow: the CDK app (test/lib/**: synth, cdk-nag, esbuild bundling) and any `*.slow.test.ts`
//   (a real browser, SpamAssassin, the sandbox as a child process). Seconds to a minute each.
// - fast: everything else, unit tests and tests against loopback servers: the inner loop
//   (`npm run test:fast`).
// `npm test` runs both.
const slow = ["test/lib/**/*.test.ts", "test/**/*.slow.test.ts"];

export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: "fast",
          include: ["test/**/*.test.ts"],
          exclude: slow,
          // Loopback servers and `herald` child processes; room for a busy 2-core machine.
          testTimeout: 20_000,
          hookTimeout: 20_000,
        },
      },
      {
        extends: true,
        test: {
          name: "slow",
          include: slow,
          // A CDK synth took 40-46 s at a load average of 16 on 2 cores.
          testTimeout: 180_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
