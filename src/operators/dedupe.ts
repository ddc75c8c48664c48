import { asyncScheduler } from '../contracts/rxjs.js';
import type { Nondeterministic } from '../contracts/guarantee.js';
import { nondeterministic } from '../contracts/guarantee.js';
import { defineOperator } from '../contracts/operator.js';
import type { Operator } from '../contracts/operator.js';
import { operate } from '../contracts/operate.js';
import { CheckpointBarrier } from '../contracts/barrier.js';
import { ConfigurationError } from '../errors.js';
import type { Key, Keyed } from './keyBy.js';

/** Options of {@link dedupe}. */
export interface DedupeOptions {
  /** Forget a key this many ms after it was first seen, so state stays bounded; processing time makes the stream nondeterministic. */
  readonly ttl: number;
}

/**
 * Keyed de-duplication: passes the first record of each key and drops the
 * rest. The keys seen are checkpointed, so a record replayed after a restore
 * is still recognised. Without a TTL it remembers every key.
 */
export function dedupe<K extends Key, V>(): Operator<Keyed<K, V>, Keyed<K, V>>;
export function dedupe<K extends Key, V>(options: DedupeOptions): Operator<Keyed<K, V>, Keyed<K, V>, 'exactly-once', Nondeterministic<'dedupe with ttl'>>;
export function dedupe<K extends Key, V>(options?: DedupeOptions): Operator<Keyed<K, V>, Keyed<K, V>, 'exactly-once', 'deterministic' | Nondeterministic<'dedupe with ttl'>> {
  const ttl = options?.ttl;
  if (ttl !== undefined && !(ttl > 0)) throw new ConfigurationError(`dedupe ttl must be a positive number of ms, got ${ttl}`);
  const replay = ttl === undefined ? 'deterministic' : nondeterministic('dedupe with ttl');
  return defineOperator<Keyed<K, V>, Keyed<K, V>, 'exactly-once', 'deterministic' | Nondeterministic<'dedupe with ttl'>>(
    { name: 'dedupe', guarantee: 'exactly-once', replay, keys: 'kept' },
    (input, context) => {
      const seen = context.state.keyed<K, number>('seen');
      const live = (firstSeen: number | undefined, now: number): boolean => firstSeen !== undefined && (ttl === undefined || now - firstSeen < ttl);
      return operate<Keyed<K, V>, Keyed<K, V>>(input, {
        record(record, out) {
          const now = asyncScheduler.now();
          if (live(seen.get(record.key), now)) return;
          seen.set(record.key, now);
          out.next(record);
        },
        marker(marker, out) {
          // Expire before the snapshot, so checkpoints do not carry forgotten keys.
          if (ttl !== undefined && marker instanceof CheckpointBarrier) {
            const now = asyncScheduler.now();
            for (const [key, firstSeen] of seen) if (!live(firstSeen, now)) seen.delete(key);
          }
          out.next(marker);
        },
      });
    },
  );
}
