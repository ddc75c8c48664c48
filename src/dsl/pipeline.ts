import type { Gives, Guarantee, IsAny, GuaranteeViolation, Needs, Replay, ReplayGiven, Satisfies } from '../contracts/guarantee.js';
import type { CheckpointOptions, FlowControlOptions, PipelineOptions, PipelineSettings } from '../runtime/settings.js';
import { stderrLogger } from '../runtime/stderr-logger.js';
import type { Source } from '../contracts/source.js';
import { Stream } from './stream.js';
import { ConfigurationError } from '../errors.js';
import { guarantees, satisfies } from '../contracts/guarantee.js';

/**
 * The guarantee a pipeline declared it needs: the strongest it might be when
 * the option's type is not one literal (`g: Guarantee`, options typed
 * `PipelineOptions`), at-most-once when there is none.
 */
export type NeededBy<O extends PipelineOptions> = 'guarantee' extends keyof O ? Needs<Exclude<O['guarantee'], undefined>> : 'at-most-once';

/**
 * Whether the pipeline checkpoints: `true` only when the options' type says a
 * `checkpoints` object is there; `boolean` when it may be absent (an optional
 * field, `any`), which counts as no checkpoints.
 */
export type Checkpointed<O extends PipelineOptions> = IsAny<O> extends true
  ? boolean
  : 'checkpoints' extends keyof O
    ? [O['checkpoints']] extends [undefined]
      ? false
      : {} extends Pick<O, 'checkpoints'>
        ? boolean
        : undefined extends O['checkpoints']
          ? boolean
          : true
    : false;

/** What a source gives inside a pipeline: the weakest its type allows with checkpoints, at-most-once without. */
export type SourceGuarantee<G extends Guarantee, Checked extends boolean> = [Checked] extends [true] ? Gives<G> : 'at-most-once';

/** `unknown` when the source can feed a pipeline needing `Need`, otherwise a {@link GuaranteeViolation}. */
export type SourceCheck<G extends Guarantee, Checked extends boolean, Need extends Guarantee> =
  Satisfies<SourceGuarantee<G, Checked>, Need> extends true
    ? unknown
    : [Checked] extends [true]
      ? GuaranteeViolation<`pipeline needs ${Needs<Need>} but the source is ${Gives<G>}`>
      : [Checked] extends [false]
        ? GuaranteeViolation<`pipeline needs ${Needs<Need>} but has no checkpoints, so it is at-most-once`>
        : GuaranteeViolation<`pipeline needs ${Needs<Need>} but its type does not say it has checkpoints (an optional or non-literal checkpoints option), so it counts as at-most-once`>;

const pipelineOptionNames: Record<keyof PipelineOptions, true> = {
  id: true,
  guarantee: true,
  checkpoints: true,
  restart: true,
  flowControl: true,
  logger: true,
  signals: true,
  metrics: true,
  monitor: true,
};
const checkpointOptionNames: Record<keyof CheckpointOptions, true> = {
  interval: true,
  store: true,
  minPause: true,
  fullEvery: true,
  timeout: true,
  maxConcurrent: true,
  tolerableFailures: true,
  replayCommittedOutput: true,
};
const flowControlOptionNames: Record<keyof FlowControlOptions, true> = { highWaterMark: true, lowWaterMark: true };

type UnknownKeys<Given, Known> = Exclude<keyof Given, keyof Known>;
/**
 * The type required of an option that does not exist: no value has it, and
 * its name carries the sentence the compiler quotes. (An interface rather
 * than the sentence as a string literal type, which a literal value of the
 * misspelled option would reduce, with the whole options type, to `never`.)
 */
export interface UnknownOption<Message extends string> {
  readonly __unknownOption: Message;
}

/** A key of `Given` that `Known` lacks gets, as its required type, a sentence naming it and the known keys. */
type NoUnknownKeys<Given, Known, Where extends string> = [UnknownKeys<Given, Known>] extends [never]
  ? unknown
  : { readonly [K in UnknownKeys<Given, Known> & string]: UnknownOption<`'${K}' is not ${Where}`> };

/**
 * `unknown` when the options, and their `checkpoints` and `flowControl`
 * objects, have only known keys. A misspelled one (`checkpoint:` for
 * `checkpoints:`) would otherwise be ignored and the job run without what it
 * meant to ask for; it is required to have a type no value has, whose text
 * names it.
 */
export type KnownOptionsOnly<O> = NoUnknownKeys<O, PipelineOptions, 'a pipeline option (id, guarantee, checkpoints, restart, flowControl, logger)'> &
  (O extends { readonly checkpoints: infer C }
    ? [UnknownKeys<C, CheckpointOptions>] extends [never]
      ? unknown
      : { readonly checkpoints: NoUnknownKeys<C, CheckpointOptions, 'a checkpoints option (interval, store, minPause, timeout, maxConcurrent, tolerableFailures)'> }
    : unknown) &
  (O extends { readonly flowControl: infer F }
    ? [UnknownKeys<F, FlowControlOptions>] extends [never]
      ? unknown
      : { readonly flowControl: NoUnknownKeys<F, FlowControlOptions, 'a flowControl option (highWaterMark, lowWaterMark)'> }
    : unknown);

/** Throws a {@link ConfigurationError} naming the first key of `given` that is not in `known`. */
function rejectUnknownKeys(given: object, known: Record<string, true>, where: string): void {
  for (const key of Object.keys(given)) {
    if (!Object.hasOwn(known, key)) {
      const close = Object.keys(known).find((name) => name.startsWith(key) || key.startsWith(name));
      throw new ConfigurationError(`unknown ${where} option '${key}'${close ? ` (did you mean '${close}'?)` : ''}; known: ${Object.keys(known).join(', ')}`);
    }
  }
}

/** A pipeline being built: pick its sources with {@link from}. */
export class Pipeline<Need extends Guarantee, Checked extends boolean> {
  /** @internal Created by {@link pipeline}. */
  constructor(/** @internal */ readonly settings: PipelineSettings) {}

  /** Read from `source`. Does not compile when the source is weaker than the pipeline needs. */
  from<T, G extends Guarantee, R extends Replay>(
    source: Source<T, G, R> & SourceCheck<G, Checked, Need>,
  ): Stream<T, SourceGuarantee<G, Checked>, ReplayGiven<R>, Need> {
    // The types reject these; the checks are for callers without them (plain JavaScript, casts to any).
    if (!guarantees.includes(source.guarantee)) throw new ConfigurationError(`source '${source.name}' has an unknown guarantee ${JSON.stringify(source.guarantee)}`);
    const guarantee = (this.settings.checkpoints ? source.guarantee : 'at-most-once') as SourceGuarantee<G, Checked>;
    if (!satisfies(guarantee, this.settings.guarantee)) {
      const why = this.settings.checkpoints ? `source '${source.name}' is ${guarantee}` : 'it has no checkpoints, so it is at-most-once';
      throw new ConfigurationError(`pipeline '${this.settings.id}' needs ${this.settings.guarantee} but ${why}`);
    }
    return new Stream(this.settings, guarantee, source.replay as Replay as ReplayGiven<R>, (wiring) => wiring.source(source as Source<T, Guarantee, Replay>));
  }
}

/**
 * Start building a job.
 *
 * ```ts
 * const job = pipeline({ id: 'orders', guarantee: 'exactly-once', checkpoints: { interval: 1000 } })
 *   .from(fileSource({ path: 'orders/', glob: '*.jsonl', decoder: jsonLines<Order>() }))
 *   .pipe(keyBy((o) => o.customer), count(), map(({ key, value }) => `${key}\t${value}`))
 *   .to(rollingFileSink({ directory: 'out/orders-per-customer' }));
 * await job.run(); // drains on SIGTERM or Ctrl-C (`signals: false` to handle them yourself)
 * ```
 *
 * An option it does not know, here or in `checkpoints` and `flowControl`
 * (`checkpoint:` for `checkpoints:`), does not compile and throws a
 * {@link ConfigurationError}, rather than being ignored.
 */
export function pipeline<const O extends PipelineOptions>(options: O & KnownOptionsOnly<O>): Pipeline<NeededBy<O>, Checkpointed<O>> {
  rejectUnknownKeys(options, pipelineOptionNames, 'pipeline');
  if (options.checkpoints) rejectUnknownKeys(options.checkpoints, checkpointOptionNames, 'checkpoints');
  if (options.flowControl) rejectUnknownKeys(options.flowControl, flowControlOptionNames, 'flowControl');
  if (typeof options.id !== 'string' || !/^[\w.-]+$/.test(options.id)) {
    throw new ConfigurationError(`pipeline id must be a non-empty string of letters, digits, '.', '_' or '-', got ${JSON.stringify(options.id)}`);
  }
  const guarantee = options.guarantee ?? 'at-most-once';
  if (!guarantees.includes(guarantee)) throw new ConfigurationError(`unknown guarantee ${JSON.stringify(guarantee)}`);
  const checkpoints = options.checkpoints;
  if (checkpoints) {
    if (!(checkpoints.interval > 0)) throw new ConfigurationError(`checkpoints.interval must be a positive number of ms, got ${checkpoints.interval}`);
    if (checkpoints.maxConcurrent !== undefined && !(checkpoints.maxConcurrent >= 1)) {
      throw new ConfigurationError(`checkpoints.maxConcurrent must be at least 1, got ${checkpoints.maxConcurrent}`);
    }
    if (checkpoints.fullEvery !== undefined && !(Number.isInteger(checkpoints.fullEvery) && checkpoints.fullEvery >= 1)) {
      throw new ConfigurationError(`checkpoints.fullEvery must be a whole number >= 1, got ${checkpoints.fullEvery}`);
    }
  }
  if (options.restart && !checkpoints) {
    // Restarting without a checkpoint replays sources from the start: duplicates, not at-most-once.
    throw new ConfigurationError(`pipeline '${options.id}' has a restart strategy but no checkpoints; restarts resume from checkpoints`);
  }
  const high = options.flowControl?.highWaterMark ?? 10_000;
  const low = options.flowControl?.lowWaterMark ?? Math.floor(high / 2);
  if (!(high >= 1) || !(low >= 0) || low >= high) {
    throw new ConfigurationError(`flowControl needs 0 <= lowWaterMark < highWaterMark, got ${low} and ${high}`);
  }
  const interval = options.metrics?.interval;
  if (interval !== undefined && !(interval > 0)) throw new ConfigurationError(`metrics.interval must be a positive number of ms, got ${interval}`);
  const monitor = options.monitor;
  if (monitor && !(Number.isInteger(monitor.port) && monitor.port >= 0 && monitor.port <= 65535)) {
    throw new ConfigurationError(`monitor.port must be a TCP port (0 for any free one), got ${JSON.stringify(monitor.port)}`);
  }
  return new Pipeline({
    id: options.id,
    guarantee,
    checkpoints,
    restart: options.restart,
    flowControl: { highWaterMark: high, lowWaterMark: low },
    logger: options.logger ?? stderrLogger(),
    signals: options.signals ?? true,
    metrics: options.metrics ?? {},
    monitor,
  });
}
