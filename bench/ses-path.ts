/**
 * SES API path: the deployed send-notification handler with HERALD_TRANSPORT=ses-api against
 * aws-ses-v2-local, versus anchor (c), bare SDK SendEmail calls carrying the same requests to
 * the same emulator, in batches of 10 with the handler's concurrency. Each side runs in a fresh
 * process per round (ses-worker.ts); the rounds rotate which side goes first. Also the two
 * ways to hand SES a message from the same parts: client-rendered Raw MIME (composeMessage)
 * and SES v2 Simple content with Headers.
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
import { htmlToText } from "../src/mail/html-to-text.ts";
import type { SesContent } from "./ses-worker.ts";

/** Budget (issue 19): the handler's CPU per message at most this multiple of anchor (c)'s. */
export const SES_BUDGET = 1.5;

/** The headers the docs promise on every notification (docs/notifications.md). */
export const PROMISED_HEADERS = [
  "List-Id",
  "List-Unsubscribe",
  "List-Unsubscribe-Post",
  "Auto-Submitted",
  "Precedence",
];
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
  /** Herald's CPU per message / anchor (c)'s, from the medians: the budget */
  cpuRatio: number;
  /** from the same parts: composeMessage + Raw, and Simple content with Headers */
  composedCpuMsPerMessage: Summary;
  simpleCpuMsPerMessage: Summary;
  /** the promised headers missing from what the emulator stored for Simple content */
  simpleMissingHeaders: string[];
  /**
   * the promised headers missing from what the emulator stored for the handler's messages
   * (Simple content: the emulator keeps its headers), or undefined when the handler sent Raw
   */
  heraldMissingHeaders?: string[];
}

/** The parts of a bench event, as Herald would render them (text derived from the HTML). */
function contentOf(event: Record<string, unknown>): SesContent {
  const id = String(event.id);
  return {
    from: "notifications@example.com",
    fromName: "Example Chat",
    to: event.to as string[],
    subject: String(event.subject),
    html: String(event.html),
    text: htmlToText(String(event.html)),
    headers: {
      "List-Id": `<${String(event.category)}.notifications.chat.example.com>`,
      "List-Unsubscribe": `<${String(event.unsubscribeUrl)}>`,
      "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
      "Auto-Submitted": "auto-generated",
      Precedence: "bulk",
    },
    tags: { id, category: String(event.category) },
  };
}

export function workerEnv(emulator: SesEmulator): Record<string, string> {
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

export function runWorker(
  inputFile: string,
  env: Record<string, string>,
  /**
   * called with the worker's pid after its warm-up (to move it under a CPU quota), when the
   * environment has HERALD_BENCH_QUOTA_HANDSHAKE=1
   */
  started?: (pid: number) => void,
): Promise<SesWorkerResult> {
  return new Promise((resolve, reject) => {
    const child = fork(join(import.meta.dirname, "ses-worker.ts"), [inputFile], {
      execPath: process.execPath,
      env,
      stdio: ["ignore", "ignore", "inherit", "ipc"],
      timeout: 600_000,
    });
    let result: SesWorkerResult | undefined;
    child.on("message", (message: SesWorkerResult | { ready: true }) => {
      if (!("ready" in message)) result = message;
      else {
        if (started && child.pid !== undefined) started(child.pid);
        child.send({ go: true });
      }
    });
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
    const contents = events.map(contentOf);
    const warmupContents = warmup.map(contentOf);
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
        ...(mode === "composed" || mode === "simple" ? { contents, warmupContents } : {}),
        batchSize: SES_BATCH_SIZE,
      } satisfies SesWorkerInput);
    const inputs = {
      herald: input("herald", [], []),
      direct: input(
        "direct",
        await renderedMessages(events, settingsEnv),
        await renderedMessages(warmup, settingsEnv),
      ),
      composed: input("composed", [], []),
      simple: input("simple", [], []),
    };
    const env = workerEnv(emulator);

    type Mode = keyof typeof inputs;
    const modes: Mode[] = ["herald", "direct", "composed", "simple"];
    const cpu: Record<Mode, number[]> = { herald: [], direct: [], composed: [], simple: [] };
    const wall: Record<Mode, number[]> = { herald: [], direct: [], composed: [], simple: [] };
    let simpleMissingHeaders: string[] = [];
    let heraldMissingHeaders: string[] | undefined;
    const missingHeaders = async () => {
      const [first] = await emulator.emails();
      if (!first?.headers) return undefined;
      const names = new Set(first.headers.map((h) => h.name));
      return PROMISED_HEADERS.filter((name) => !names.has(name));
    };
    const side = async (mode: Mode): Promise<void> => {
      await emulator.clear();
      const result = await runWorker(inputs[mode], env);
      const stored = await emulator.count();
      if (result.failed > 0 || stored !== options.messages + warmup.length) {
        throw new Error(`SES ${mode}: ${result.failed} failed, the emulator stored ${stored}`);
      }
      if (mode === "simple") simpleMissingHeaders = (await missingHeaders()) ?? PROMISED_HEADERS;
      if (mode === "herald") heraldMissingHeaders = await missingHeaders();
      cpu[mode].push(result.cpuMs / options.messages);
      wall[mode].push(result.seconds);
    };
    const ratios: number[] = [];
    for (let round = 0; round < options.runs; round++) {
      // rotate which side goes first
      const order = modes.map((_, i) => modes[(i + round) % modes.length]!);
      for (const mode of order) await side(mode);
      ratios.push(wall.herald.at(-1)! / wall.direct.at(-1)!);
      log(
        `ses round ${round + 1}/${options.runs}: CPU per message herald ${cpu.herald.at(-1)!.toFixed(2)} ms, ` +
          `direct ${cpu.direct.at(-1)!.toFixed(2)}, composed ${cpu.composed.at(-1)!.toFixed(2)}, simple ${cpu.simple.at(-1)!.toFixed(2)}`,
      );
    }
    const heraldSeconds = summarize(wall.herald);
    const directSeconds = summarize(wall.direct);
    const heraldCpuMsPerMessage = summarize(cpu.herald);
    const directCpuMsPerMessage = summarize(cpu.direct);
    return {
      messages: options.messages,
      runs: options.runs,
      batchSize: SES_BATCH_SIZE,
      heraldSeconds,
      directSeconds,
      ratio: heraldSeconds.median / directSeconds.median,
      roundRatios: summarize(ratios),
      heraldCpuMsPerMessage,
      directCpuMsPerMessage,
      cpuRatio: heraldCpuMsPerMessage.median / directCpuMsPerMessage.median,
      composedCpuMsPerMessage: summarize(cpu.composed),
      simpleCpuMsPerMessage: summarize(cpu.simple),
      simpleMissingHeaders,
      ...(heraldMissingHeaders ? { heraldMissingHeaders } : {}),
    };
  } finally {
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
