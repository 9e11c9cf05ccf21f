import { createHash, randomUUID } from "node:crypto";
import { link, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ClaimLostError, StateFileError } from "./errors.ts";
import {
  pairRecordId,
  type BulletinPair,
  type Claim,
  type ClaimResult,
  type Lease,
  type SecurityStateStore,
} from "./state-store.ts";

interface StateFile {
  installationId: string;
  createdAt: string;
}

/** One step in a pair's history; the newest step is the pair's state. */
interface PairStep {
  state: "sending" | "sent" | "released";
  owner: string;
  bulletinId: string;
  admin: string;
  at: string;
  leaseUntil?: number;
  messageId?: string;
}

const STEP_NAME = /^(\d{6,})\.json$/;

/**
 * The CLI's state: FILE holds the installation id (JSON); the history of each
 * (bulletin, administrator) pair lives beside it in `FILE.d/<hash of the pair>/`, one
 * numbered file per step (000001.json "sending", 000002.json "sent" ...).
 *
 * Every file is written to a temporary name and then hard-linked to its final name, which
 * fails if that name exists: a step is created completely or not at all, and of two
 * processes creating the same step number exactly one succeeds. Steps are never rewritten
 * or deleted, so there is no lock to go stale: taking over a crashed claim is creating the
 * next step, which again only one process can do.
 */
export class FileStateStore implements SecurityStateStore {
  readonly kind = "file";
  readonly #path: string;
  readonly #pairsDir: string;

  constructor(path: string) {
    this.#path = path;
    this.#pairsDir = `${path}.d`;
  }

  async installationId(): Promise<string> {
    const existing = await this.#readStateFile();
    if (existing) return existing.installationId;
    const state: StateFile = { installationId: randomUUID(), createdAt: new Date().toISOString() };
    if (await createExclusive(this.#path, `${JSON.stringify(state, null, 2)}\n`)) return state.installationId;
    const created = await this.#readStateFile();
    if (created) return created.installationId;
    throw new StateFileError(`${this.#path} disappeared while it was being created`);
  }

  async #readStateFile(): Promise<StateFile | undefined> {
    let text: string;
    try {
      text = await readFile(this.#path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new StateFileError(`${this.#path} is not JSON`);
    }
    const id = (parsed as Partial<StateFile> | null)?.installationId;
    if (typeof id !== "string" || id === "") {
      throw new StateFileError(`${this.#path} has no "installationId": it is not a Herald state file`);
    }
    return parsed as StateFile;
  }

  async wasSent(pair: BulletinPair): Promise<boolean> {
    return (await this.#latest(pair))?.step.state === "sent";
  }

  async claim(pair: BulletinPair, lease: Lease): Promise<ClaimResult> {
    // Each lost race means another process wrote a step; re-read and decide again.
    for (;;) {
      const latest = await this.#latest(pair);
      if (latest?.step.state === "sent") return { status: "sent" };
      if (latest?.step.state === "sending" && (latest.step.leaseUntil ?? 0) >= lease.now) {
        return { status: "busy", leaseUntil: latest.step.leaseUntil ?? 0 };
      }
      const number = (latest?.number ?? 0) + 1;
      const step: PairStep = {
        state: "sending",
        owner: lease.owner,
        bulletinId: pair.bulletinId,
        admin: pair.admin,
        at: new Date(lease.now).toISOString(),
        leaseUntil: lease.leaseUntil,
      };
      if (await this.#writeStep(pair, number, step)) {
        return { status: "claimed", claim: { pair, owner: lease.owner, token: String(number) } };
      }
    }
  }

  async markSent(claim: Claim, details: { messageId: string; at: number }): Promise<void> {
    const written = await this.#writeStep(claim.pair, Number(claim.token) + 1, {
      state: "sent",
      owner: claim.owner,
      bulletinId: claim.pair.bulletinId,
      admin: claim.pair.admin,
      at: new Date(details.at).toISOString(),
      messageId: details.messageId,
    });
    if (!written) {
      throw new ClaimLostError(
        `the claim on bulletin ${claim.pair.bulletinId} for ${claim.pair.admin} was taken over by another run`,
      );
    }
  }

  async release(claim: Claim): Promise<void> {
    // Losing this race means another run already moved on from our claim: nothing to undo.
    await this.#writeStep(claim.pair, Number(claim.token) + 1, {
      state: "released",
      owner: claim.owner,
      bulletinId: claim.pair.bulletinId,
      admin: claim.pair.admin,
      at: new Date().toISOString(),
    });
  }

  #pairDir(pair: BulletinPair): string {
    const hash = createHash("sha256").update(pairRecordId(pair)).digest("hex").slice(0, 32);
    return join(this.#pairsDir, hash);
  }

  async #latest(pair: BulletinPair): Promise<{ number: number; step: PairStep } | undefined> {
    const dir = this.#pairDir(pair);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
    const numbers = names.map((name) => STEP_NAME.exec(name)?.[1]).filter((n) => n !== undefined);
    if (numbers.length === 0) return undefined;
    const number = Math.max(...numbers.map(Number));
    const file = join(dir, stepName(number));
    try {
      return { number, step: JSON.parse(await readFile(file, "utf8")) as PairStep };
    } catch (error) {
      throw new StateFileError(`${file} cannot be read: ${(error as Error).message}`, { cause: error });
    }
  }

  async #writeStep(pair: BulletinPair, number: number, step: PairStep): Promise<boolean> {
    const dir = this.#pairDir(pair);
    await mkdir(dir, { recursive: true });
    return createExclusive(join(dir, stepName(number)), `${JSON.stringify(step, null, 2)}\n`);
  }
}

function stepName(number: number): string {
  return `${String(number).padStart(6, "0")}.json`;
}

/**
 * Create `path` with `content` only if it does not exist; false when it does. The content is
 * complete before the name appears (write a temporary file, then link(2), which never
 * replaces an existing name).
 */
async function createExclusive(path: string, content: string): Promise<boolean> {
  const temporary = `${path}.${randomUUID()}.tmp`;
  await writeFile(temporary, content, { flag: "wx" });
  try {
    await link(temporary, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    await rm(temporary, { force: true });
  }
}
