/**
 * What a readable stack costs: the smtp-credentials bundle (as deployed) imported by a fresh
 * process and invoked so that it fails (its IAM endpoint is a closed loopback port), then the
 * error's stack read once, as a log line would. Two ways, in interleaved rounds: Node's
 * `--enable-source-maps` (every map parsed at load) and the deployed lazy mapping
 * (src/lambda/stack-traces.ts: the maps of the stack's files read when it is first formatted).
 * CPU of the import, of the first stack, and of the whole process.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { bundle } from "./cold-anchors.ts";
import { deployedEnv } from "./cold-start.ts";
import { summarize, type Summary } from "./stats.ts";

const CHILD = `
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const atStart = cpuMs();
const { handler } = await import(process.argv[1]);
const imported = cpuMs();
let stack = "";
try {
  await handler({ RequestType: "Delete", PhysicalResourceId: "create-failed",
    ResourceProperties: { UserName: "u", ParameterPrefix: "/herald", KmsKeyId: "k", Region: "eu-west-1" } },
    { getRemainingTimeInMillis: () => 10000, functionName: "herald", awsRequestId: "r-1" });
} catch (error) {
  const before = cpuMs();
  stack = error.stack;
  const after = cpuMs();
  process.stdout.write(JSON.stringify({ importCpuMs: imported - atStart, stackCpuMs: after - before, totalCpuMs: after, stack }));
}
`;

export interface FirstErrorMode {
  importCpuMs: Summary;
  stackCpuMs: Summary;
  totalCpuMs: Summary;
  /** one stack as it was read (the first frames) */
  sample: string;
}

export interface FirstErrorResult {
  rounds: number;
  load: [number, number];
  lazy: FirstErrorMode;
  flag: FirstErrorMode;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function measureFirstError(rounds: number): Promise<FirstErrorResult> {
  const dir = mkdtempSync(join(tmpdir(), "herald-first-error-"));
  try {
    const file = pathToFileURL(
      await bundle("lambdas/smtp-credentials.ts", join(dir, "smtp-credentials")),
    ).href;
    const port = await closedPort();
    const run = (flag: boolean) => {
      const result = spawnSync(process.execPath, ["--input-type=module", "-e", CHILD, file], {
        env: {
          ...deployedEnv("smtp-credentials", flag),
          POWERTOOLS_LOG_LEVEL: "SILENT",
          AWS_ACCESS_KEY_ID: "AKIDLOCAL",
          AWS_SECRET_ACCESS_KEY: "local",
          AWS_ENDPOINT_URL_IAM: `http://127.0.0.1:${port}`,
        },
        encoding: "utf8",
        timeout: 60_000,
      });
      if (!result.stdout) throw new Error(`first-error child: ${result.stderr.slice(0, 400)}`);
      return JSON.parse(result.stdout) as {
        importCpuMs: number;
        stackCpuMs: number;
        totalCpuMs: number;
        stack: string;
      };
    };
    const load = loadavg()[0]!;
    const samples = { lazy: [] as ReturnType<typeof run>[], flag: [] as ReturnType<typeof run>[] };
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? (["lazy", "flag"] as const) : (["flag", "lazy"] as const);
      for (const mode of order) samples[mode].push(run(mode === "flag"));
    }
    const mode = (runs: ReturnType<typeof run>[]): FirstErrorMode => ({
      importCpuMs: summarize(runs.map((r) => r.importCpuMs)),
      stackCpuMs: summarize(runs.map((r) => r.stackCpuMs)),
      totalCpuMs: summarize(runs.map((r) => r.totalCpuMs)),
      sample: runs[0]!.stack.split("\n").slice(0, 4).join("\n"),
    });
    return { rounds, load: [load, loadavg()[0]!], lazy: mode(samples.lazy), flag: mode(samples.flag) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main)
  console.log(JSON.stringify(await measureFirstError(Number(process.argv[2] ?? 5)), null, 1));
