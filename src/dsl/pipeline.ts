import type { Guarantee, GuaranteeViolation, Replay, Satisfies } from '../contracts/guarantee.js';
import type { PipelineOptions, PipelineSettings } from '../runtime/settings.js';
import { stderrLogger } from '../runtime/stderr-logger.js';
import type { Source } from '../contracts/source.js';
import { Stream } from './stream.js';
import { ConfigurationError } from '../errors.js';
import { guarantees, satisfies } from '../contracts/guarantee.js';

/** The guarantee a pipeline declared it needs. */
export type NeededBy<O extends PipelineOptions> = O extends { readonly guarantee: infer N extends Guarantee } ? N : 'at-most-once';

/** Whether the pipeline checkpoints. */
export type Checkpointed<O extends PipelineOptions> = O extends { readonly checkpoints: object } ? true : false;

/** What a source gives inside a pipeline: its own guarantee with checkpoints, at-most-once without. */
export type SourceGuarantee<G extends Guarantee, Checked extends boolean> = Checked extends true ? G : 'at-most-once';

/** `unknown` when the source can feed a pipeline needing `Need`, otherwise a {@link GuaranteeViolation}. */
export type SourceCheck<G extends Guarantee, Checked extends boolean, Need extends Guarantee> =
  Satisfies<SourceGuarantee<G, Checked>, Need> extends true
    ? unknown
    : Checked extends true
      ? GuaranteeViolation<`pipeline needs ${Need} but the source is ${G}`>
      : GuaranteeViolation<`pipeline needs ${Need} but has no checkpoints, so it is at-most-once`>;

/** A pipeline being built: pick its sources with {@link from}. */
export class Pipeline<Need extends Guarantee, Checked extends boolean> {
  /** @internal Created by {@link pipeline}. */
  constructor(/** @internal */ readonly settings: PipelineSettings) {}

  /** Read from `source`. Does not compile when the source is weaker than the pipeline needs. */
  from<T, G extends Guarantee, R extends Replay>(
    source: Source<T, G, R> & SourceCheck<G, Checked, Need>,
  ): Stream<T, SourceGuarantee<G, Checked>, R, Need> {
    const guarantee = (this.settings.checkpoints ? source.guarantee : 'at-most-once') as SourceGuarantee<G, Checked>;
    if (!satisfies(guarantee, this.settings.guarantee)) {
      throw new ConfigurationError(`pipeline '${this.settings.id}' needs ${this.settings.guarantee} but source '${source.name}' gives ${guarantee}`);
    }
    return new Stream(this.settings, guarantee, source.replay, (wiring) => wiring.source(source as Source<T, Guarantee, Replay>));
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
 */
export function pipeline<const O extends PipelineOptions>(options: O): Pipeline<NeededBy<O>, Checkpointed<O>> {
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
