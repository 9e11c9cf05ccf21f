import { afterEach, describe, expect, it, vi } from "vitest";
import { createProgress } from "../../sandbox/progress.ts";

afterEach(() => {
  vi.useRealTimers();
});

function collect(tty: boolean, color = false) {
  let text = "";
  const progress = createProgress({ write: (chunk) => void (text += chunk), tty, color, slowAfterMs: 1000 });
  return { progress, text: () => text };
}

describe("sandbox progress", () => {
  it("prints one line per step: OK with its detail, FAILED with what was expected", async () => {
    const { progress, text } = collect(false);
    await progress.step("first", async () => ({ ok: true, detail: "fine" }));
    await progress.step("second", async () => ({ ok: false, detail: "got 2", expected: "1" }));
    expect(text()).toMatch(/^ {2}OK {6}first +fine\n {2}FAILED {2}second +got 2\n +expected: 1\n$/);
    expect(progress.results.map((r) => [r.title, r.ok])).toEqual([
      ["first", true],
      ["second", false],
    ]);
  });

  it("turns a step that throws into a failed result", async () => {
    const { progress, text } = collect(false);
    const result = await progress.step("boom", async () => {
      throw new TypeError("no such thing");
    });
    expect(result).toMatchObject({ ok: false, detail: "stopped with TypeError: no such thing" });
    expect(text()).toContain("FAILED  boom");
  });

  it("says a step is still running after a second (a line now and then when not a terminal)", async () => {
    vi.useFakeTimers();
    const { progress, text } = collect(false);
    let finish!: () => void;
    const step = progress.step(
      "slow",
      () => new Promise((resolve) => (finish = () => resolve({ ok: true, detail: "done" }))),
    );
    await vi.advanceTimersByTimeAsync(999);
    expect(text()).toBe("");
    await vi.advanceTimersByTimeAsync(1);
    expect(text()).toMatch(/^ {2}\.\.\. {5}slow: still running \(\d\.\d s\)\n$/);
    await vi.advanceTimersByTimeAsync(5000);
    expect(text().match(/still running/g)).toHaveLength(2);
    finish();
    await step;
    expect(text()).toMatch(/OK {6}slow +done \(\d+\.\d s\)\n$/);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(text().match(/still running/g)).toHaveLength(2);
  });

  it("on a terminal draws the running step in place and colours the status", async () => {
    vi.useFakeTimers();
    const { progress, text } = collect(true, true);
    let finish!: () => void;
    const step = progress.step(
      "slow",
      () => new Promise((resolve) => (finish = () => resolve({ ok: true, detail: "done" }))),
    );
    await vi.advanceTimersByTimeAsync(1400);
    expect(text()).toContain("\r\x1b[K  ...     slow (1.");
    finish();
    await step;
    expect(text()).toContain("\r\x1b[K  \x1b[32mOK    \x1b[0m  slow");
  });

  it("writes no escape sequence without colour and without a terminal", async () => {
    const { progress, text } = collect(false, false);
    await progress.step("plain", async () => ({ ok: false, detail: "x" }));
    // eslint-disable-next-line no-control-regex -- looking for escapes is the point
    expect(text()).not.toMatch(/\x1b/);
  });
});
