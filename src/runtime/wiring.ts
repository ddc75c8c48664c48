import type { Flow } from '../contracts/element.js';
import type { Guarantee, Replay } from '../contracts/guarantee.js';
import type { Operator } from '../contracts/operator.js';
import type { Source } from '../contracts/source.js';

/**
 * How a stream's plan is turned into running flows. The runtime implements it
 * once per run (attempt) of a job, so every restart wires fresh readers,
 * operator state and writers.
 */
export interface Wiring {
  /** Start a reader for `source` and return what it emits. */
  source<T>(source: Source<T, Guarantee, Replay>): Flow<T>;
  /** Apply `operator` to `input`, with its state restored and checkpointed. */
  operator<In, Out>(operator: Operator<In, Out, Guarantee, Replay>, input: Flow<In>): Flow<Out>;
  /** Merge flows into one, aligning their barriers. */
  union<T>(inputs: Flow<T>[]): Flow<T>;
}

/** The id a job's `index`-th source (counting from 0) is checkpointed and measured under. */
export function sourceTaskId(index: number, name: string): string {
  return `${index}-${name}`;
}

/**
 * The id a job's `index`-th operator is checkpointed and measured under: its
 * `uid()` when it has one, so its state survives operators added before it.
 */
export function operatorTaskId(index: number, info: { readonly name: string; readonly uid?: string | undefined }): string {
  return info.uid ?? `${index}-${info.name}`;
}

/** The id a job's sink is checkpointed and measured under. */
export function sinkTaskId(name: string): string {
  return `sink-${name}`;
}
