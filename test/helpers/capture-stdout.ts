import { vi } from "vitest";

/**
 * Collect what is written to stdout (Powertools' JSON log lines) while `run` runs, and
 * still let the test see it.
 */
export async function captureStdout<T>(run: () => Promise<T>): Promise<{ result: T; output: string }> {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
    return true;
  });
  try {
    const result = await run();
    return { result, output: chunks.join("") };
  } finally {
    spy.mockRestore();
  }
}
