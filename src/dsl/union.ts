import type { Gives, Guarantee, Needs, Nondeterministic, Replay } from '../contracts/guarantee.js';
import { nondeterministic, weakest } from '../contracts/guarantee.js';
import { Stream } from './stream.js';
import { ConfigurationError } from '../errors.js';

/**
 * Any stream, as `union()` takes them: what it reads of one. (A `Stream` is
 * invariant in its guarantee, so `Stream<unknown, Guarantee, ...>` would not do.)
 */
type AnyStream = Pick<Stream<unknown, Guarantee, Replay, Guarantee>, 'guarantee' | 'replay' | 'plan' | 'settings'>;

/** The record type of a stream. */
type RecordOf<S> = S extends Stream<infer T, infer _G, infer _R, infer _Need> ? T : never;

/**
 * Merge two or more streams of one pipeline into one, aligning their
 * checkpoint barriers: once an input delivered barrier n, its later records
 * wait until every input delivered n. The result has the weakest guarantee
 * of its inputs, and is nondeterministic on replay, because how the inputs
 * interleave depends on timing.
 */
export function union<const Streams extends readonly [AnyStream, AnyStream, ...AnyStream[]]>(
  ...streams: Streams
): Stream<RecordOf<Streams[number]>, Gives<Streams[number]['guarantee']>, Nondeterministic<'union'>, Needs<NeedOf<Streams[number]>>> {
  const first = streams[0];
  if (!first || streams.length < 2) throw new ConfigurationError('union() takes two or more streams');
  const settings = first.settings;
  const stranger = streams.find((s) => s.settings !== settings);
  if (stranger) {
    // Barrier alignment needs one coordinator, and one pipeline() call makes one.
    const which = stranger.settings.id === settings.id ? `another pipeline() call with the same id '${settings.id}'` : `pipeline '${stranger.settings.id}'`;
    throw new ConfigurationError(
      `union() takes streams of one pipeline: a stream of pipeline '${settings.id}' cannot be merged with one of ${which}; call from() twice on the same pipeline instead`,
    );
  }
  const guarantee = streams.map((s) => s.guarantee).reduce((x, y) => weakest(x, y));
  return new Stream(settings, guarantee, nondeterministic('union'), (wiring) => wiring.union(streams.map((s) => s.plan(wiring)))) as never;
}

/** The guarantee the pipeline of a stream needs. */
type NeedOf<S> = S extends Stream<infer _T, infer _G, infer _R, infer Need> ? Need : never;
