/**
 * What a Lambda's CPU share does to Herald, measured under cgroup CPU quotas (cpu-quota.ts):
 *
 * - cold test-send at 15% of one CPU (a 256 MB function's share) against anchor (b), wall time
 *   of a fresh process importing the bundle, interleaved rounds (the issue 19 budget);
 * - at each memory size (share = memory / 1769 MB): the cold import wall time of
 *   send-notification and test-send, and the send-notification handler's wall time and CPU per
 *   message on the SES API path (batches of 10, aws-ses-v2-local outside the quota).
 *
 * Skipped, with the reason, where quotas cannot be set (not root, no cgroup v1 cpu hierarchy).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { bundle } from "./cold-anchors.ts";
import { deployedEnv } from "./cold-start.ts";
import { CpuQuota, cpuShareOf, quotaUnavailable } from "./cpu-quota.ts";
import { notificationEvent, notificationEvents } from "./events.ts";
import { SES_BATCH_SIZE, runWorker, workerEnv } from "./ses-path.ts";
import type { SesWorkerInput } from "./ses-worker.ts";
import { startSesEmulator } from "./ses-emulator.ts";
import { summarize, type Summary } from "./stats.ts";
import { writeJson } from "./workload.ts";

/** Budget (issue 19): cold test-send at 15% CPU at most this multiple of anchor (b)'s wall time. */
export const QUOTA_COLD_BUDGET = 1.3;
export const QUOTA_COLD_SHARE = 0.15;

/** The memory sizes measured (MB); the functions deploy at 256, send-notification at 512. */
export const MEMORY_SIZES_MB = [128, 256, 512, 1024];

export interface QuotaColdResult {
  share: number;
  rounds: number;
  load: [number, number];
  /** wall ms of a fresh process importing each, under the quota */
  wallMs: { baseline: Summary; anchorB: Summary; testSend: Summary };
  /** test-send / anchor (b), medians */
  ratio: number;
}

export interface SizeResult {
  memoryMb: number;
  share: number;
  coldMs: { sendNotification: Summary; testSend: Summary };
  /** the handler on the SES API path, per message */
  perMessageMs: Summary;
  perMessageCpuMs: Summary;
}

export interface CpuSharesResult {
  /** why the quota benchmarks did not run, when they did not */
  skipped?: string;
  quotaCold?: QuotaColdResult;
  sizes?: SizeResult[];
  sizesLoad?: [number, number];
  sizeMessages?: number;
}

function interleaved(rounds: number, runs: Record<string, () => number>): Record<string, Summary> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(runs).map((k) => [k, []]));
  const names = Object.keys(runs);
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? names : [...names].reverse();
    for (const name of order) samples[name]!.push(runs[name]!());
  }
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summarize(v)]));
}

export async function runCpuShares(options: {
  coldRounds: number;
  sizeRounds: number;
  sizeMessages: number;
  sizes?: boolean;
  log?: (line: string) => void;
}): Promise<CpuSharesResult> {
  const log = options.log ?? (() => undefined);
  const skipped = quotaUnavailable();
  if (skipped) return { skipped };
  const dir = mkdtempSync(join(tmpdir(), "herald-bench-shares-"));
  const quotas: CpuQuota[] = [];
  try {
    const anchorB = await bundle("bench/anchors/ssm-ses.ts", join(dir, "anchor-b"));
    const testSend = await bundle("lambdas/test-send.ts", join(dir, "test-send"));
    const sendNotification = await bundle("lambdas/send-notification.ts", join(dir, "send-notification"));

    const quota15 = new CpuQuota(QUOTA_COLD_SHARE);
    quotas.push(quota15);
    log(`cold at ${QUOTA_COLD_SHARE * 100}% CPU: test-send against anchor (b), ${options.coldRounds} rounds`);
    const coldLoad = loadavg()[0]!;
    const wall = interleaved(options.coldRounds, {
      baseline: () => quota15.run(["-e", "0"], deployedEnv("baseline", false)),
      anchorB: () => quota15.run([anchorB], deployedEnv("anchor", false)),
      testSend: () => quota15.run([testSend], deployedEnv("test-send", false)),
    });
    const quotaCold: QuotaColdResult = {
      share: QUOTA_COLD_SHARE,
      rounds: options.coldRounds,
      load: [coldLoad, loadavg()[0]!],
      wallMs: { baseline: wall.baseline!, anchorB: wall.anchorB!, testSend: wall.testSend! },
      ratio: wall.testSend!.median / wall.anchorB!.median,
    };
    if (options.sizes === false) return { quotaCold };

    const sizesLoad = loadavg()[0]!;
    const emulator = await startSesEmulator();
    const sizes: SizeResult[] = [];
    try {
      const events = notificationEvents(options.sizeMessages);
      const warmup = Array.from({ length: SES_BATCH_SIZE }, (_, i) =>
        notificationEvent(options.sizeMessages + i),
      );
      const input = writeJson(join(dir, "herald.json"), {
        mode: "herald",
        events,
        warmup,
        messages: [],
        warmupMessages: [],
        batchSize: SES_BATCH_SIZE,
      } satisfies SesWorkerInput);
      const env = { ...workerEnv(emulator), HERALD_BENCH_QUOTA_HANDSHAKE: "1" };
      for (const memoryMb of MEMORY_SIZES_MB) {
        const quota = new CpuQuota(cpuShareOf(memoryMb));
        quotas.push(quota);
        log(
          `${memoryMb} MB (${(quota.share * 100).toFixed(1)}% CPU): cold imports and ${options.sizeMessages} messages`,
        );
        const cold = interleaved(options.sizeRounds, {
          sendNotification: () => quota.run([sendNotification], deployedEnv("send-notification", false)),
          testSend: () => quota.run([testSend], deployedEnv("test-send", false)),
        });
        const wallPer: number[] = [];
        const cpuPer: number[] = [];
        for (let round = 0; round < options.sizeRounds; round++) {
          await emulator.clear();
          const result = await runWorker(input, env, (pid) => quota.adopt(pid));
          if (result.failed > 0) throw new Error(`${memoryMb} MB: ${result.failed} sends failed`);
          wallPer.push((result.seconds * 1000) / options.sizeMessages);
          cpuPer.push(result.cpuMs / options.sizeMessages);
        }
        sizes.push({
          memoryMb,
          share: quota.share,
          coldMs: { sendNotification: cold.sendNotification!, testSend: cold.testSend! },
          perMessageMs: summarize(wallPer),
          perMessageCpuMs: summarize(cpuPer),
        });
      }
    } finally {
      await emulator.close();
    }
    return { quotaCold, sizes, sizesLoad: [sizesLoad, loadavg()[0]!], sizeMessages: options.sizeMessages };
  } finally {
    for (const quota of quotas) quota.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
