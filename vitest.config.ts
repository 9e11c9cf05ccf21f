import { defineConfig } from "vitest/config";

// Projects chosen by where a test lives, so a new test lands in the right one on its own:
// - slow: the CDK app (test/lib/**: synth, cdk-nag, esbuild bundling) and any `*.slow.test.ts`
//   (a real browser, SpamAssassin, the sandbox as a child process). Seconds to a minute each.
// - fast: everything else, unit tests and tests against loopback servers: the inner loop
//   (`npm run test:fast`, which runs fast-shared too: `--project 'fast*'`).
// - fast-shared: the fast files listed below, which share one module graph per worker
//   (isolate: false) instead of loading the same modules again for each file (most of a small
//   file's time: 30 files took 20-24 s isolated, 7 s shared, at a load average of 8.5).
// `npm test` runs them all.
const slow = ["test/lib/**/*.test.ts", "test/**/*.slow.test.ts"];

// Files that leave nothing behind in their process: no vi.mock, vi.stubEnv, vi.spyOn or fake
// timers, no SDK client patched by aws-sdk-client-mock, no process listeners, no child
// processes. A file that needs any of these stays out of this list (new files do).
const shared = [
  "test/lambdas/example-events.test.ts",
  "test/lambdas/handler-shape.test.ts",
  "test/runtime.test.ts",
  "test/sandbox/headers.test.ts",
  "test/sandbox/mail-page.test.ts",
  "test/sandbox/ports.test.ts",
  "test/sandbox/servers/dead-letter-queue.test.ts",
  "test/src/errors.test.ts",
  "test/src/mail/header-lines.test.ts",
  "test/src/mail/message-id.test.ts",
  "test/src/mail/ses-content.test.ts",
  "test/src/net/email-address.test.ts",
  "test/src/net/hosts.test.ts",
  "test/src/notifications/concurrency.test.ts",
  "test/src/notifications/parse-messages.test.ts",
  "test/src/notifications/rate-limiter.test.ts",
  "test/src/notifications/render-notification.test.ts",
  "test/src/notifications/schema.test.ts",
  "test/src/operations/ses-feedback-incomplete.test.ts",
  "test/src/security/config.test.ts",
  "test/src/security/match.test.ts",
  "test/src/security/sanitize.test.ts",
  "test/src/ses/message-tags.test.ts",
  "test/src/ses/smtp-password.test.ts",
  "test/src/settings/never-throws.property.test.ts",
  "test/src/settings/sources/config-object.test.ts",
  "test/src/settings/validate.test.ts",
  "test/src/smtp/classify.test.ts",
  "test/src/smtp/options.test.ts",
  "test/src/smtp/redact.test.ts",
];

export default defineConfig({
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: "fast",
          include: ["test/**/*.test.ts"],
          exclude: [...slow, ...shared],
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
          name: "fast-shared",
          include: shared,
          isolate: false,
          // one group with fast: the same two workers between them
          maxWorkers: 2,
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
