import { deepStrictEqual } from 'node:assert';
import { defer, map } from 'rxjs';
import type { Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import type { Flow, Marker } from '../contracts/element.js';
import { CheckpointBarrier } from '../contracts/barrier.js';

/**
 * The marble character for a checkpoint barrier. In each diagram the first
 * `B` is barrier 1, the second barrier 2, and so on, so `'-a-B-b-B-|'`
 * reads: record a, barrier 1, record b, barrier 2, complete. For other ids put
 * {@link barrier}`(n)` in the values under a letter of your choice.
 */
export const BARRIER_MARBLE = 'B';

/** Barrier `checkpointId` as marble diagrams make it (timestamp 0), for values maps. */
export function barrier(checkpointId: number): CheckpointBarrier {
  return new CheckpointBarrier(checkpointId, 0);
}

/** The helpers {@link marbles} hands to a test. */
export interface MarbleTools {
  /** A cold flow from a diagram; each subscription numbers its `B`s from 1. */
  cold<T>(diagram: string, values?: Readonly<Record<string, T | Marker>>, error?: unknown): Flow<T>;
  /** A hot flow from a diagram (`^` marks the subscription point). */
  hot<T>(diagram: string, values?: Readonly<Record<string, T | Marker>>, error?: unknown): Flow<T>;
  /** Assert what `actual` emits; `B` in the expected diagram numbers barriers the same way. */
  expectFlow<T>(actual: Flow<T>, subscription?: string): { toBe(diagram: string, values?: Readonly<Record<string, T | Marker>>, error?: unknown): void };
  /** Assert when a cold or hot flow was subscribed and unsubscribed. */
  expectSubscriptions: TestScheduler['expectSubscriptions'];
}

// Stands for "the next barrier" until numberBarriers gives it its id.
const placeholder = new CheckpointBarrier(-1, 0);

function numberBarriers<T>(source: Observable<T | Marker>): Flow<T> {
  return defer(() => {
    let next = 1;
    return source.pipe(map((value) => (value === placeholder ? new CheckpointBarrier(next++, 0) : value)));
  });
}

/** Errors compare by class and message: their stacks differ wherever they were made. */
function comparable(value: unknown): unknown {
  if (value instanceof Error) return { error: value.name, message: value.message };
  if (Array.isArray(value)) return value.map(comparable);
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, comparable(v)]));
  }
  return value;
}

/**
 * Run a marble test on RxJS's TestScheduler, with {@link BARRIER_MARBLE} for
 * barriers. Assertion failures throw Node's AssertionError, so it works in
 * any test runner.
 *
 * ```ts
 * marbles(({ cold, expectFlow }) => {
 *   expectFlow(cold('-a-B-b-|', { a: 1, b: 2 }).pipe(...)).toBe('-x-B-y-|', { x: 2, y: 4 });
 * });
 * ```
 */
export function marbles(test: (tools: MarbleTools) => void): void {
  const scheduler = new TestScheduler((actual, expected) => deepStrictEqual(comparable(actual), comparable(expected)));
  scheduler.run((helpers) => {
    const withBarrier = <T>(values: Readonly<Record<string, T | Marker>> | undefined): Record<string, T | Marker> => ({ [BARRIER_MARBLE]: placeholder, ...values });
    test({
      cold: (diagram, values, error) => numberBarriers(helpers.cold(diagram, withBarrier(values), error)),
      hot: (diagram, values, error) => numberBarriers(helpers.hot(diagram, withBarrier(values), error)),
      expectFlow: (actual, subscription) => ({
        toBe: (diagram, values, error) =>
          helpers.expectObservable(actual, subscription).toEqual(numberBarriers(helpers.cold(diagram, withBarrier(values), error))),
      }),
      expectSubscriptions: helpers.expectSubscriptions,
    });
  });
}
