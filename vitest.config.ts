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
          // Two files at a time: vitest's default on 2 cores is one worker (cores - 1), which
          // leaves a core idle while a file waits on a loopback server or a child process.
          // Every file runs in its own process (forks, isolated), on port 0 and mkdtemp dirs.
          maxWorkers: 2,
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
