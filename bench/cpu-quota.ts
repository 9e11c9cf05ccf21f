/**
 * A share of one CPU, as Lambda gives a function (memory / 1769 MB of one vCPU), made with a
 * cgroup v1 CPU quota (`cpu.cfs_quota_us` over a 100 ms period). Needs root and a writable
 * cgroup v1 cpu hierarchy; `quotaUnavailable()` says why not otherwise, and the benchmarks that
 * need it are skipped with that reason.
 */
import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, mkdirSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const CPU_CGROUP_ROOT = "/sys/fs/cgroup/cpu";
const PERIOD_US = 100_000;

/** The memory size Lambda gives one full vCPU; a function gets memory / this of one CPU. */
export const MB_PER_VCPU = 1769;

/** The CPU share of a Lambda memory size (at most one CPU's worth, as measured here). */
export function cpuShareOf(memoryMb: number): number {
  return Math.min(memoryMb / MB_PER_VCPU, 1);
}

/** Why CPU quotas cannot be set here, or undefined when they can. */
export function quotaUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return "not root: cgroup CPU quotas need root";
  if (!existsSync(join(CPU_CGROUP_ROOT, "cpu.cfs_quota_us")))
    return `no cgroup v1 cpu hierarchy at ${CPU_CGROUP_ROOT}`;
  try {
    accessSync(CPU_CGROUP_ROOT, constants.W_OK);
  } catch {
    return `${CPU_CGROUP_ROOT} is not writable`;
  }
  return undefined;
}

let groups = 0;

/** A cgroup with a CPU quota; processes run in it by `run` or moved in by `adopt`. */
export class CpuQuota {
  readonly dir: string;
  readonly share: number;

  constructor(share: number) {
    this.share = share;
    this.dir = join(CPU_CGROUP_ROOT, `herald-bench-${process.pid}-${(groups += 1)}`);
    mkdirSync(this.dir);
    writeFileSync(join(this.dir, "cpu.cfs_period_us"), String(PERIOD_US));
    writeFileSync(join(this.dir, "cpu.cfs_quota_us"), String(Math.round(share * PERIOD_US)));
  }

  /** Wall time in ms of `node args` run inside the quota from its first instruction. */
  run(args: string[], env: Record<string, string>): number {
    const started = performance.now();
    const result = spawnSync(
      "/bin/sh",
      ["-c", `echo $$ > ${this.dir}/cgroup.procs && exec "$0" "$@"`, process.execPath, ...args],
      { env, stdio: ["ignore", "ignore", "pipe"], timeout: 120_000 },
    );
    const elapsed = performance.now() - started;
    if (result.status !== 0)
      throw new Error(
        `node ${args.join(" ")} under quota: exit ${result.status} ${result.stderr.toString().slice(0, 400)}`,
      );
    return elapsed;
  }

  /** Move a running process (a forked worker) into the quota. */
  adopt(pid: number): void {
    writeFileSync(join(this.dir, "cgroup.procs"), String(pid));
  }

  /** Remove the cgroup (its processes must have exited). */
  close(): void {
    try {
      rmdirSync(this.dir);
    } catch {
      // a process still in it; the kernel keeps the empty group until the next boot at worst
    }
  }
}
