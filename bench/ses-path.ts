/**
 * SES API path: the deployed send-notification handler with HERALD_TRANSPORT=ses-api against
 * aws-ses-v2-local, versus direct SDK SendEmail calls carrying the same requests to the same
 * emulator, in batches of 10 with the handler's concurrency. Each side runs in a fresh
 * process per round (ses-worker.ts); the rounds alternate which side goes first.
 */
import { fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSesEmulator, type SesEmulator } from "./ses-emulator.ts";
import type { SesWorkerInput, SesWorkerResult } from "./ses-worker.ts";
import { summarize, type Summary } from "./stats.ts";
import {
  childPath,
  notificationEvent,
  notificationEvents,
  smtpSettingsEnv,
  UNLIMITED_SEND_RATE,
} from "./events.ts";
import { renderedMessages, writeJson } from "./workload.ts";

export const SES_BUDGET = 1.25;
export const SES_BATCH_SIZE = 10;

export interface SesPathResult {
  messages: number;
  runs: number;
  batchSize: number;
  heraldSeconds: Summary;
  directSeconds: Summary;
  /** Herald's time / the direct calls' time, from the medians */
  ratio: number;
  roundRatios: Summary;
  /** CPU time per message of each side's process (less sensitive to a busy machine than wall time) */
  heraldCpuMsPerMessage: Summary;
  directCpuMsPerMessage: Summary;
}

function workerEnv(emulator: SesEmulator): Record<string, string> {
  return {
    PATH: childPath(),
    AWS_REGION: "eu-west-1",
    AWS_ACCESS_KEY_ID: "AKIDLOCAL",
    AWS_SECRET_ACCESS_KEY: "local-secret",
    AWS_ENDPOINT_URL_SESV2: emulator.endpoint,
    AWS_LAMBDA_FUNCTION_NAME: "herald-send-notification",
    HERALD_TRANSPORT: "ses-api",
    HERALD_MAX_SEND_RATE: UNLIMITED_SEND_RATE,
    // as deployed: JSON logs and EMF metrics on stdout (here /dev/null)
    POWERTOOLS_LOG_LEVEL: "INFO",
    POWERTOOLS_SERVICE_NAME: "herald-send-notification",
    POWERTOOLS_METRICS_NAMESPACE: "Herald",
    ...smtpSettingsEnv(25),
  };
}

function runWorker(inputFile: string, env: Record<string, string>): Promise<SesWorkerResult> {
  return new Promise((resolve, reject) => {
    const child = fork(join(import.meta.dirname, "ses-worker.ts"), [inputFile], {
      execPath: process.execPath,
      env,
      stdio: ["ignore", "ignore", "inherit", "ipc"],
      timeout: 300_000,
    });
    let result: SesWorkerResult | undefined;
    child.once("message", (message: SesWorkerResult) => (result = message));
    child.once("error", reject);
    child.once("exit", (code) =>
      result ? resolve(result) : reject(new Error(`SES worker exited ${code} without a result`)),
    );
  });
}

export async function runSesPath(options: {
  messages: number;
  runs: number;
  log?: (line: string) => void;
}): Promise<SesPathResult> {
  const log = options.log ?? (() => undefined);
  const dir = mkdtempSync(join(tmpdir(), "herald-bench-ses-"));
  const emulator = await startSesEmulator();
  try {
    const events = notificationEvents(options.messages);
    // other ids: the warm-up batch must not make the timed events duplicates
    const warmup = Array.from({ length: SES_BATCH_SIZE }, (_, i) => notificationEvent(options.messages + i));
    const settingsEnv = smtpSettingsEnv(25);
    const input = (
      mode: SesWorkerInput["mode"],
      messages: SesWorkerInput["messages"],
      warmupMessages: SesWorkerInput["messages"],
    ) =>
      writeJson(join(dir, `${mode}.json`), {
        mode,
        events,
        warmup,
        messages,
        warmupMessages,
        batchSize: SES_BATCH_SIZE,
      } satisfies SesWorkerInput);
    const heraldInput = input("herald", [], []);
    const directInput = input(
      "direct",
      await renderedMessages(events, settingsEnv),
      await renderedMessages(warmup, settingsEnv),
    );
    const env = workerEnv(emulator);

    const cpu = { herald: [] as number[], direct: [] as number[] };
    const side = async (mode: "herald" | "direct"): Promise<number> => {
      await emulator.clear();
      const result = await runWorker(mode === "herald" ? heraldInput : directInput, env);
      const stored = await emulator.count();
      if (result.failed > 0 || stored !== options.messages + warmup.length) {
        throw new Error(`SES ${mode}: ${result.failed} failed, the emulator stored ${stored}`);
      }
      cpu[mode].push(result.cpuMs / options.messages);
      return result.seconds;
    };
    const herald: number[] = [];
    const direct: number[] = [];
    const ratios: number[] = [];
    for (let round = 0; round < options.runs; round++) {
      let h: number;
      let d: number;
      if (round % 2 === 0) {
        h = await side("herald");
        d = await side("direct");
      } else {
        d = await side("direct");
        h = await side("herald");
      }
      herald.push(h);
      direct.push(d);
      ratios.push(h / d);
      log(`ses round ${round + 1}/${options.runs}: herald ${h.toFixed(2)} s, direct ${d.toFixed(2)} s`);
    }
    const heraldSeconds = summarize(herald);
    const directSeconds = summarize(direct);
    return {
      messages: options.messages,
      runs: options.runs,
      batchSize: SES_BATCH_SIZE,
      heraldSeconds,
      directSeconds,
      ratio: heraldSeconds.median / directSeconds.median,
      roundRatios: summarize(ratios),
      heraldCpuMsPerMessage: summarize(cpu.herald),
      directCpuMsPerMessage: summarize(cpu.direct),
    };
  } finally {
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
