import { describe, expect, it } from "vitest";
import { createRateLimiter } from "../../../src/notifications/rate-limiter.ts";

/** A clock that only moves when the limiter sleeps. */
function fakeClock(start = 1_000_000) {
  let now = start;
  return {
    now: () => now,
    sleep: async (ms: number) => {
      now += ms;
    },
  };
}

/** The largest number of units sent in any window [t, t + windowMs). */
function busiestWindow(sends: Array<{ at: number; units: number }>, windowMs = 1000): number {
  let busiest = 0;
  for (const start of sends) {
    const total = sends
      .filter((s) => s.at >= start.at && s.at < start.at + windowMs)
      .reduce((sum, s) => sum + s.units, 0);
    busiest = Math.max(busiest, total);
  }
  return busiest;
}

describe("createRateLimiter", () => {
  it("lets 14 sends through at once, then holds every one-second window at 14", async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ perSecond: 14, ...clock });
    const sends: Array<{ at: number; units: number }> = [];
    for (let i = 0; i < 50; i++) {
      await limiter.acquire();
      sends.push({ at: clock.now(), units: 1 });
    }
    const start = sends[0]!.at;
    expect(sends.slice(0, 14).every((s) => s.at === start)).toBe(true);
    expect(sends[14]!.at).toBe(start + 1000);
    expect(busiestWindow(sends)).toBe(14);
    // 50 sends at 14/s need at least three more seconds after the first burst
    expect(sends[49]!.at - start).toBe(3000);
  });

  it("counts recipients: a message to 5 uses 5 of the second's 14", async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ perSecond: 14, ...clock });
    const sends: Array<{ at: number; units: number }> = [];
    for (const units of [5, 5, 5, 1, 5, 3, 50, 2]) {
      await limiter.acquire(units);
      sends.push({ at: clock.now(), units: Math.min(units, 14) });
    }
    expect(busiestWindow(sends)).toBeLessThanOrEqual(14);
    // 5 + 5 fit in the first second, the third message waits for the next
    expect(sends[2]!.at - sends[0]!.at).toBe(1000);
  });

  it("holds the rate over time for messages with more recipients than the rate", async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ perSecond: 14, ...clock });
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      await limiter.acquire(50);
      times.push(clock.now());
    }
    // one message never waits for more than a free second, but 500 recipients at 14/s take
    // 450/14 s after the first 50 went at once
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(1000);
    expect(times[9]! - times[0]!).toBeGreaterThanOrEqual(Math.floor((450 / 14) * 1000) - 1000);
    await limiter.acquire(1);
    expect(clock.now() - times[9]!).toBeGreaterThanOrEqual(Math.floor((36 / 14) * 1000));
  });

  it("holds a rate below one per second (the SES sandbox allows 1)", async () => {
    const clock = fakeClock();
    const limiter = createRateLimiter({ perSecond: 0.5, ...clock });
    const times: number[] = [];
    for (let i = 0; i < 4; i++) {
      await limiter.acquire();
      times.push(clock.now());
    }
    expect(times.map((t) => t - times[0]!)).toEqual([0, 2000, 4000, 6000]);
  });

  it("serves waiters in the order they asked, with real timers", async () => {
    // real timers (nearly equal delays may fire out of order), real clock; the waits are counted
    const waits: number[] = [];
    const sleep = (ms: number) => {
      waits.push(ms);
      return new Promise<void>((resolve) => setTimeout(resolve, ms));
    };
    const limiter = createRateLimiter({ perSecond: 20, sleep });
    const order: number[] = [];
    await Promise.all(Array.from({ length: 45 }, (_, i) => limiter.acquire().then(() => order.push(i))));
    expect(order).toEqual(Array.from({ length: 45 }, (_, i) => i));
    // 45 at 20/s: 20 now, the others waited (how long is the clock's business: see above)
    expect(waits.length).toBeGreaterThan(0);
  });

  it("refuses a rate that is not a positive number", () => {
    expect(() => createRateLimiter({ perSecond: 0 })).toThrow(/positive/);
    expect(() => createRateLimiter({ perSecond: Number.NaN })).toThrow(/positive/);
  });
});
