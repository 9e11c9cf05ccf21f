/**
 * Fake timers for code that also does real I/O on loopback sockets: setTimeout, setInterval,
 * Date and performance.now move only when the test advances them, while sockets and
 * setImmediate stay real. A test lets the conversation reach a point with `ioUntil` (a barrier
 * on what a server saw), then moves the clock to just before and just at a bound: the bound is
 * asserted exactly, however busy the machine.
 */
import { vi } from "vitest";

export function useFakeClock(): void {
  vi.useFakeTimers({
    toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date", "performance"],
  });
}

/** Lets real I/O run until `condition` holds, without moving the fake clock (vi.waitFor would). */
export async function ioUntil(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** A promise's outcome once it settles, and whether it has yet. */
export function watch<T>(promise: Promise<T>): { readonly settled: boolean; readonly result: Promise<T> } {
  let settled = false;
  const result = promise.finally(() => (settled = true));
  return {
    get settled() {
      return settled;
    },
    result,
  };
}
