/**
 * Files the CLI writes (they may hold the SMTP password): written whole to a new file beside
 * the target, then renamed over it, so a reader sees the old content or the new, never half,
 * and a crash leaves the old file in place. The new file is created owner-only and exclusive
 * (`wx`): nothing left at that name, and no symlink planted there, can receive the content.
 */
import { randomBytes } from "node:crypto";
import { open, realpath, rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";

async function writeBeside(path: string, content: string, keep?: { mode: number; uid: number; gid: number }) {
  const temporary = join(dirname(path), `.${randomBytes(6).toString("hex")}.herald.tmp`);
  const handle = await open(temporary, "wx", 0o600);
  try {
    try {
      await handle.writeFile(content, "utf8");
      if (keep) {
        // The owner first (root editing mattermost's file), then the mode, which chown may clear.
        await handle.chown(keep.uid, keep.gid).catch((error: NodeJS.ErrnoException) => {
          // Not root: the file stays ours, as it was if we could write the original.
          if (error.code !== "EPERM") throw error;
        });
        await handle.chmod(keep.mode);
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

/** Create or replace `path` with an owner-only (0600) file. */
export async function writeOwnerOnly(path: string, content: string): Promise<void> {
  await writeBeside(path, content);
}

/**
 * Replace an existing file, keeping its mode and owner (a Mattermost config.json): the file a
 * symlink points at is replaced, not the link. Returns the mode kept.
 */
export async function replaceKeepingMode(path: string, content: string): Promise<number> {
  const target = await realpath(path);
  const { mode, uid, gid } = await stat(target);
  const kept = mode & 0o7777;
  await writeBeside(target, content, { mode: kept, uid, gid });
  return kept;
}
