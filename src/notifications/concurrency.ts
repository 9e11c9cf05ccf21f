/**
 * Bounded concurrency inside a batch, and one-at-a-time per key: two records with the same
 * notification id run one after the other, so the second finds the first's idempotency
 * record completed (a duplicate) instead of in progress.
 */
export interface WorkGate {
  run<T>(key: string, work: () => Promise<T>): Promise<T>;
}

export function createWorkGate(limit: number): WorkGate {
  const slots = Math.max(1, Math.floor(limit));
  let active = 0;
  const waiting: Array<() => void> = [];
  const tails = new Map<string, Promise<unknown>>();

  const acquire = async (): Promise<void> => {
    if (active < slots) {
      active += 1;
      return;
    }
    // the releasing run hands its slot over directly: `active` stays the same
    await new Promise<void>((resolve) => waiting.push(resolve));
  };
  const release = (): void => {
    const next = waiting.shift();
    if (next) next();
    else active -= 1;
  };

  return {
    async run(key, work) {
      const previous = tails.get(key);
      const mine = (async () => {
        if (previous) await previous.catch(() => undefined);
        await acquire();
        try {
          return await work();
        } finally {
          release();
        }
      })();
      tails.set(key, mine);
      try {
        return await mine;
      } finally {
        if (tails.get(key) === mine) tails.delete(key);
      }
    },
  };
}
