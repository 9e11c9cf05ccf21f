import { describe, expect, it } from "vitest";
import { createWorkGate } from "../../../src/notifications/concurrency.ts";

/** Gives up the turn: the other pieces of work get to run meanwhile (no clock involved). */
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("createWorkGate", () => {
  it("runs at most `limit` pieces of work at once", async () => {
    const gate = createWorkGate(3);
    let active = 0;
    let peak = 0;
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        gate.run(`key-${i}`, async () => {
          active += 1;
          peak = Math.max(peak, active);
          await tick();
          active -= 1;
        }),
      ),
    );
    expect(peak).toBe(3);
  });

  it("runs work with the same key one after the other, in order, even after a failure", async () => {
    const gate = createWorkGate(10);
    const events: string[] = [];
    const work =
      (name: string, fail = false) =>
      async () => {
        events.push(`${name} start`);
        await tick();
        events.push(`${name} end`);
        if (fail) throw new Error(name);
        return name;
      };
    const results = await Promise.allSettled([
      gate.run("same", work("a", true)),
      gate.run("same", work("b")),
      gate.run("other", work("c")),
    ]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "fulfilled", "fulfilled"]);
    expect(events.indexOf("b start")).toBeGreaterThan(events.indexOf("a end"));
    // other keys are not held up
    expect(events.indexOf("c start")).toBeLessThan(events.indexOf("a end"));
  });
});
