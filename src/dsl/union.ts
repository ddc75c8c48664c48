import type { Guarantee, Replay, Weakest } from '../contracts/guarantee.js';
import { weakest } from '../contracts/guarantee.js';
import { Stream } from './stream.js';
import { ConfigurationError } from '../errors.js';

/**
 * Merge two or more streams of one pipeline into one, aligning their
 * checkpoint barriers: once an input delivered barrier n, its later records
 * wait until every input delivered n. The result has the weakest guarantee
 * of its inputs, and is nondeterministic on replay, because how the inputs
 * interleave depends on timing.
 */
export function union<A, B, GA extends Guarantee, GB extends Guarantee, Need extends Guarantee>(
  a: Stream<A, GA, Replay, Need>,
  b: Stream<B, GB, Replay, Need>,
): Stream<A | B, Weakest<GA, GB>, 'nondeterministic', Need>;
export function union<A, B, C, GA extends Guarantee, GB extends Guarantee, GC extends Guarantee, Need extends Guarantee>(
  a: Stream<A, GA, Replay, Need>,
  b: Stream<B, GB, Replay, Need>,
  c: Stream<C, GC, Replay, Need>,
): Stream<A | B | C, Weakest<GA, Weakest<GB, GC>>, 'nondeterministic', Need>;
export function union<A, B, C, D, GA extends Guarantee, GB extends Guarantee, GC extends Guarantee, GD extends Guarantee, Need extends Guarantee>(
  a: Stream<A, GA, Replay, Need>,
  b: Stream<B, GB, Replay, Need>,
  c: Stream<C, GC, Replay, Need>,
  d: Stream<D, GD, Replay, Need>,
): Stream<A | B | C | D, Weakest<GA, Weakest<GB, Weakest<GC, GD>>>, 'nondeterministic', Need>;
export function union<T, Need extends Guarantee>(...streams: Stream<T, Guarantee, Replay, Need>[]): Stream<T, Guarantee, 'nondeterministic', Need> {
  const first = streams[0];
  if (!first || streams.length < 2) throw new ConfigurationError('union() takes two or more streams');
  const settings = first.settings;
  if (streams.some((s) => s.settings !== settings)) throw new ConfigurationError('union() takes streams of one pipeline only');
  const guarantee = streams.map((s) => s.guarantee).reduce((x, y) => weakest(x, y));
  return new Stream(settings, guarantee, 'nondeterministic', (wiring) => wiring.union(streams.map((s) => s.plan(wiring))));
}
