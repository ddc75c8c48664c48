// A seeded generator, so that a failing fault-injection run can be replayed with its seed.
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed for this run: ONCEFLOW_SEED to replay one, else a fresh one that a failure message should print. */
export function runSeed(): number {
  return Number(process.env.ONCEFLOW_SEED ?? Math.floor(Math.random() * 2 ** 31));
}
