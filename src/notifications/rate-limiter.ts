/**
 * A client-side send rate limit: at most `perSecond` recipients in any one-second window
 * (SES counts every recipient of a message against the sending rate). Waiters are served in
 * the order they asked. One limiter per container: warm invocations share it.
 */
export interface RateLimiter {
  /**
   * Wait until `units` recipients may be sent. A message with more recipients than the rate
   * goes once a whole window is free (it never waits forever); the sends after it wait for
   * its excess, so the rate holds over time.
   */
  acquire(units?: number): Promise<void>;
  readonly perSecond: number;
}

export interface RateLimiterOptions {
  perSecond: number;
  /** @default Date.now */
  now?: () => number;
  /** @default setTimeout-based */
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A sliding-window log: the times of the last `capacity` units. Sending `n` units at time T
 * keeps every window (T-w, T] at or under capacity exactly when the n-th oldest of those
 * times is at least w before T (w is one second for whole rates). Slots are reserved synchronously, so they are handed
 * out first come, first served and never go backwards in time.
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { perSecond } = options;
  if (!Number.isFinite(perSecond) || perSecond <= 0) {
    throw new RangeError(`the send rate must be a positive number, got ${perSecond}`);
  }
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const capacity = Math.max(1, Math.floor(perSecond));
  // 14/s: 14 units per 1000 ms; 0.5/s: 1 unit per 2000 ms.
  const windowMs = (capacity * 1000) / perSecond;
  // Ring buffer of the last `capacity` unit times, oldest at `head`.
  const times = new Array<number>(capacity).fill(Number.NEGATIVE_INFINITY);
  let head = 0;
  let last = Number.NEGATIVE_INFINITY;

  const reserve = (units: number): number => {
    const n = Math.max(1, Math.ceil(units));
    const burst = Math.min(n, capacity);
    const nthOldest = times[(head + burst - 1) % capacity] as number;
    const at = Math.max(now(), nthOldest + windowMs, last);
    for (let i = 0; i < n; i++) {
      // units beyond one window are booked after it, one per 1/perSecond
      times[head] = at + (Math.max(0, i - capacity + 1) * windowMs) / capacity;
      head = (head + 1) % capacity;
    }
    last = at;
    return at;
  };

  // Each wait starts after the previous one ended: timers of nearly equal delay may fire out
  // of order, waiters may not.
  let tail: Promise<void> = Promise.resolve();

  return {
    perSecond,
    acquire(units = 1) {
      const at = reserve(units);
      tail = tail.then(async () => {
        const wait = at - now();
        if (wait > 0) await sleep(wait);
      });
      return tail;
    },
  };
}
