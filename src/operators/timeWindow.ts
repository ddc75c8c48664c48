import { asyncScheduler } from '../contracts/rxjs.js';
import type { Subscription } from 'rxjs';
import type { Nondeterministic } from '../contracts/guarantee.js';
import { nondeterministic } from '../contracts/guarantee.js';
import { defineOperator } from '../contracts/operator.js';
import type { Operator } from '../contracts/operator.js';
import { operate } from '../contracts/operate.js';
import { CheckpointBarrier } from '../contracts/barrier.js';
import { ConfigurationError } from '../errors.js';
import type { Key, Keyed } from './keyBy.js';

/** The contents of one fired time window. */
export interface TimeWindow<V> {
  /** Window start, inclusive (ms since the epoch). */
  readonly start: number;
  /** Window end, exclusive. */
  readonly end: number;
  readonly values: readonly V[];
}

/** Options of {@link timeWindow}. */
export interface TimeWindowOptions {
  /** Window length in ms. */
  readonly size: number;
  /** Distance between window starts in ms; `size` (tumbling) by default, less for sliding windows. */
  readonly slide?: number;
}

interface OpenWindow<K> {
  readonly key: K;
  readonly start: number;
}

/**
 * Keyed processing-time window, tumbling or sliding, aligned to the epoch.
 * Each window fires when the clock passes its end; open windows are
 * checkpointed, fire on restore if their end has passed, and fire at once
 * when the job ends (a final barrier). Processing time differs on replay, so
 * the stream becomes nondeterministic.
 */
export function timeWindow<K extends Key, V>(options: TimeWindowOptions): Operator<Keyed<K, V>, Keyed<K, TimeWindow<V>>, 'exactly-once', Nondeterministic<'timeWindow'>> {
  const { size, slide = size } = options;
  if (!(size > 0)) throw new ConfigurationError(`timeWindow size must be a positive number of ms, got ${size}`);
  if (!(slide > 0) || slide > size) throw new ConfigurationError(`timeWindow slide must be from 1 to size (${size}) ms, got ${slide}`);
  return defineOperator({ name: 'timeWindow', guarantee: 'exactly-once', replay: nondeterministic('timeWindow'), keys: 'kept' }, (input, context) => {
    // Keyed by `${start}:${key}` so windows of one key stay apart.
    const windows = context.state.keyed<string, OpenWindow<K>>('windows');
    const values = context.state.list<string, V>('values');
    return operate<Keyed<K, V>, Keyed<K, TimeWindow<V>>>(input, (out) => {
      let timer: Subscription | undefined;
      let timerAt = Number.POSITIVE_INFINITY;

      function fire(upTo: number): void {
        const due = [...windows.entries()].filter(([, w]) => w.start + size <= upTo).sort(([, a], [, b]) => a.start - b.start);
        for (const [id, w] of due) {
          const held = values.get(id);
          windows.delete(id);
          values.delete(id);
          out.next({ key: w.key, value: { start: w.start, end: w.start + size, values: held } });
        }
      }

      // Schedule the timer for a window ending at `end`, unless one is already due earlier.
      function armFor(end: number): void {
        if (end >= timerAt) return;
        timer?.unsubscribe();
        timerAt = end;
        timer = asyncScheduler.schedule(() => {
          timerAt = Number.POSITIVE_INFINITY;
          timer = undefined;
          try {
            fire(asyncScheduler.now());
            armForEarliest();
          } catch (error) {
            out.error(error);
          }
        }, Math.max(0, end - asyncScheduler.now()));
      }

      // The full scan runs after a firing and on restore; a record only compares its own windows' ends.
      function armForEarliest(): void {
        let earliest = Number.POSITIVE_INFINITY;
        for (const w of windows.values()) earliest = Math.min(earliest, w.start + size);
        if (earliest !== Number.POSITIVE_INFINITY) armFor(earliest);
      }

      armForEarliest();
      return {
        record({ key, value }) {
          const now = asyncScheduler.now();
          // Every window [start, start + size) containing now, for starts on the slide grid.
          for (let start = Math.floor(now / slide) * slide; start > now - size; start -= slide) {
            const id = `${start}:${String(key)}`;
            if (!windows.has(id)) windows.set(id, { key, start });
            values.append(id, value);
            armFor(start + size);
          }
        },
        marker(marker, target) {
          if (marker instanceof CheckpointBarrier && marker.final) fire(Number.POSITIVE_INFINITY);
          target.next(marker);
        },
        finalize() {
          timer?.unsubscribe();
        },
      };
    });
  });
}
