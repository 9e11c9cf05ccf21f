/**
 * Preloaded into a process under test (`NODE_OPTIONS=--import=<this file>`): at exit it writes
 * the process's CPU time (user + system, all threads) to stderr, for `cpuMsFrom` to read.
 */
export const CPU_MARK = "herald-bench-cpu-ms=";

/** The CPU time a process wrote with this preload, from its stderr. */
export function cpuMsFrom(stderr: string): number | undefined {
  const match = new RegExp(`${CPU_MARK}([0-9.]+)`).exec(stderr);
  return match ? Number(match[1]) : undefined;
}

if (process.env.HERALD_BENCH_CPU_AT_EXIT === "1") {
  process.on("exit", () => {
    const used = process.cpuUsage();
    process.stderr.write(`\n${CPU_MARK}${((used.user + used.system) / 1000).toFixed(1)}\n`);
  });
}
