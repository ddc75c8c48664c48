import { Subject } from '../contracts/rxjs.js';
import type { Observable } from 'rxjs';
import type { Guarantee, Replay } from '../contracts/guarantee.js';
import type { Logger } from '../contracts/logger.js';
import type { Source } from '../contracts/source.js';
import type { CommittingSink } from '../contracts/sink.js';
import type { Key } from '../operators/keyBy.js';
import { KafkaGroupMember } from '../connectors/kafka/group-member.js';
import type { KafkaGroupMemberOptions, KafkaPartitionSource, KafkaTopicPartition } from '../connectors/kafka/group-member.js';
import { kafkaTransactionalSink } from '../connectors/kafka/transactional-sink.js';
import type { KafkaTransactionalSinkOptions, KafkaTransactionCommittable } from '../connectors/kafka/transactional-sink.js';
import { jsonDeserializer } from '../connectors/kafka/deserializers.js';
import type { KafkaDeserializer } from '../connectors/kafka/deserializers.js';
import { Job } from '../dsl/job.js';
import type { JobEvent, JobHandle, JobResult } from '../runtime/job-runner.js';
import { stderrLogger } from '../runtime/stderr-logger.js';
import { ConfigurationError, JobLockedError, messageOf } from '../errors.js';
import { checkPartitioning } from './partitioning.js';

/** What the function that builds one partition's job is given. */
export interface KafkaPartitionInput<T> {
  /** The partition's job id, `<id>.<topic>-<partition>`: give it to `pipeline({ id })`. Its checkpoints, keyed state and lock are stored under it. */
  readonly id: string;
  readonly topic: string;
  readonly partition: number;
  /** The partition's records, fed by the process's one group consumer: the job's only source. One split, so replay is deterministic. */
  readonly source: KafkaPartitionSource<T>;
}

/** Options of {@link scaledOutKafkaJob}. */
export interface ScaledOutKafkaJobOptions<T, G extends Guarantee> extends Omit<KafkaGroupMemberOptions<T>, 'groupId'> {
  /** The job's id; each partition's job is `<id>.<topic>-<partition>`. Letters, digits, '.', '_' and '-'. */
  readonly id: string;
  /** The consumer group every process of the job joins. Default: the job's id. */
  readonly groupId?: string;
  /**
   * Build the job of one partition: `pipeline({ id: input.id, ... }).from(input.source)...to(sink)`.
   * Called each time a partition's job starts (when the group assigns the partition, and after its lock
   * was held by the previous owner), so every run gets fresh sinks; and once by `scaledOutKafkaJob` itself,
   * for partition 0 of the first topic, to check the job before any process joins the group (that job is
   * never started: build sinks, not connections). Its `checkpoints.store` must be one
   * every process shares (`redisStore` from `onceflow/redis`); state per key must be keyed by
   * `keyByMessageKey()`, or the job is refused with an `UnpartitionedKeyError`.
   */
  readonly build: (input: KafkaPartitionInput<T>) => Job<G>;
  /** How long to wait before trying again to take a partition whose lock its previous owner still holds, in ms. Default 1000. */
  readonly lockRetryInterval?: number;
  /** Where the runner reports partitions gained, lost and waited for. Default `stderrLogger()`. */
  readonly logger?: Logger;
  /**
   * Stop on the first SIGTERM or SIGINT (a second gets Node's default). Default true. Partition jobs
   * are stopped, not drained: a drain's final barrier would flush open windows as if the input ended,
   * while the partitions go on at another process.
   */
  readonly signals?: boolean;
}

/** Something that happened to a scaled-out job in this process. */
export type ScaledOutEvent =
  /** The group gave this process these partitions (all it owns now). */
  | { readonly type: 'assigned'; readonly partitions: readonly KafkaTopicPartition[] }
  /** A partition's job started (it restores its latest checkpoint from the shared store). */
  | { readonly type: 'partition-started'; readonly jobId: string; readonly topic: string; readonly partition: number }
  /** A partition's lock is still held (by its previous owner, until it stops or its lease runs out): retrying. */
  | { readonly type: 'partition-waiting'; readonly jobId: string; readonly topic: string; readonly partition: number; readonly holder: string }
  /** A partition's job ended (the partition was revoked, or the runner stopped). */
  | { readonly type: 'partition-ended'; readonly jobId: string; readonly topic: string; readonly partition: number; readonly result: JobResult }
  /** An event of a partition's job: checkpoints, restores, restarts. */
  | { readonly type: 'partition-event'; readonly jobId: string; readonly topic: string; readonly partition: number; readonly event: JobEvent };

/** How a scaled-out job ended in this process. */
export interface ScaledOutResult {
  /** `stopped`: by {@link ScaledOutHandle.stop} or a signal. */
  readonly outcome: 'stopped';
}

/** A scaled-out job running in this process. */
export interface ScaledOutHandle {
  /** Partitions gained, waited for and lost, and the events of every partition's job; completes when the runner ends. */
  readonly events: Observable<ScaledOutEvent>;
  /**
   * Settles when the runner ends: resolves once stopped, rejects when a partition's job failed for good
   * (its restart strategy used up) or the group consumer crashed; then every other partition's job is
   * stopped and the process has left the group, so other processes take its partitions.
   */
  readonly done: Promise<ScaledOutResult>;
  /** Stop every partition's job (no final checkpoint: their latest checkpoints are where the next owners resume), release their locks and leave the group. */
  stop(): Promise<ScaledOutResult>;
  /** The partitions' jobs running in this process now, by job id. */
  partitions(): ReadonlyMap<string, JobHandle>;
}

/** A job run as one job per Kafka partition by every process that starts it: see {@link scaledOutKafkaJob}. */
export class ScaledOutKafkaJob<T, G extends Guarantee> {
  /** @internal Created by {@link scaledOutKafkaJob}. */
  constructor(
    /** @internal */ readonly options: ScaledOutKafkaJobOptions<T, G>,
    /** The end-to-end guarantee of each partition's job. */
    readonly guarantee: G,
  ) {}

  /** The job's id. */
  get id(): string {
    return this.options.id;
  }

  /** Join the group and run the job of each partition it assigns here. */
  start(): ScaledOutHandle {
    return runScaledOut(this.options);
  }

  /** Run until stopped (by a signal, or {@link ScaledOutHandle.stop} on {@link start}'s handle). */
  run(): Promise<ScaledOutResult> {
    return this.start().done;
  }
}

const owner = 'scaledOutKafkaJob';

function instanceId(id: string, topic: string, partition: number): string {
  return `${id}.${topic}-${partition}`;
}

/** The job `build` made for a partition, checked, with signals left to the runner. */
function partitionJob<T, G extends Guarantee>(options: ScaledOutKafkaJobOptions<T, G>, input: KafkaPartitionInput<T>): Job<G> {
  const job = options.build(input);
  if (!(job instanceof Job)) throw new ConfigurationError(`${owner} '${options.id}': build must return a job (pipeline(...).from(input.source)...to(sink)), got ${String(job)}`);
  const { settings } = job;
  if (settings.id !== input.id) {
    throw new ConfigurationError(`${owner} '${options.id}': the job built for ${input.topic}-${input.partition} has id '${settings.id}': give it input.id ('${input.id}'), under which its checkpoints and lock are kept`);
  }
  if (!settings.checkpoints?.store) {
    throw new ConfigurationError(
      `${owner} '${options.id}': a partition's job needs checkpoints in a store every process shares (checkpoints.store: redisStore(...) from onceflow/redis), so that the partition's next owner restores them; the default file store is local to one machine`,
    );
  }
  if (settings.monitor) throw new ConfigurationError(`${owner} '${options.id}': the monitor option is per job and would open one port per partition; leave it out of a scaled-out job`);
  checkPartitioning(input.id, options.id, job.plan, input.source as unknown as Source<unknown, Guarantee, Replay>);
  return new Job({ ...settings, signals: false }, job.guarantee, job.plan, job.sink);
}

/**
 * Scale a Kafka job out over processes: every process that starts it joins
 * the consumer group with one kafkajs consumer (so the group and its lag are
 * what Kafka tools show), and runs, for each partition the group assigns it,
 * one job built by `options.build` whose only source is that partition. A
 * partition's job keeps its checkpoints, keyed state and lock under its own
 * id (`<id>.<topic>-<partition>`) in the store all processes share, and its
 * transactional ids follow from that id, so two never fence each other.
 *
 * On a rebalance, a process stops the jobs of the partitions it lost (no
 * final checkpoint: what they wrote after their latest checkpoint is not
 * committed) and releases their locks; the new owner's job waits for the lock
 * (`lockRetryInterval`), restores the latest checkpoint and reads on from its
 * offsets. A process that dies holds its locks until their lease runs out
 * (`redisStore`'s `lockLease`), and its partitions move once the group's
 * session timeout (`sessionTimeout`) passes: the later of the two is how long
 * its partitions stand still. Kafka is the only coordinator; there is no
 * cluster manager.
 *
 * State per key is only whole when all of a key's records are in one
 * partition: a keyed operator must get its key from {@link keyByMessageKey};
 * to key by something else, go through {@link kafkaRepartition}. Anything
 * else is refused here, before any process joins the group, with an
 * `UnpartitionedKeyError` naming the operator.
 */
export function scaledOutKafkaJob<T, G extends Guarantee>(options: ScaledOutKafkaJobOptions<T, G>): ScaledOutKafkaJob<T, G> {
  if (typeof options.id !== 'string' || !/^[\w.-]+$/.test(options.id)) {
    throw new ConfigurationError(`${owner} id must be a non-empty string of letters, digits, '.', '_' or '-', got ${JSON.stringify(options.id)}`);
  }
  if (typeof options.build !== 'function') throw new ConfigurationError(`${owner} '${options.id}': option build must be a function that builds a partition's job`);
  const retry = options.lockRetryInterval ?? 1000;
  if (!(Number.isInteger(retry) && retry >= 1)) throw new ConfigurationError(`${owner} option lockRetryInterval must be a whole number of ms >= 1, got ${retry}`);
  // The options' own checks, and the job's, before any process joins the group: build a probe of the first partition.
  const member = new KafkaGroupMember<T>({ ...options, groupId: options.groupId ?? options.id }, { assigned: () => {}, failed: () => {} });
  const topic = options.topics[0] as string;
  const probe = partitionJob(options, { id: instanceId(options.id, topic, 0), topic, partition: 0, source: member.partitionSource(topic, 0) });
  return new ScaledOutKafkaJob(options, probe.guarantee);
}

interface Slot {
  readonly partition: KafkaTopicPartition;
  readonly jobId: string;
  wanted: boolean;
  handle: JobHandle | undefined;
  wake: (() => void) | undefined;
  ended: Promise<void>;
}

function runScaledOut<T, G extends Guarantee>(options: ScaledOutKafkaJobOptions<T, G>): ScaledOutHandle {
  const logger = options.logger ?? stderrLogger();
  const jobId = options.id;
  const groupId = options.groupId ?? options.id;
  const retryInterval = options.lockRetryInterval ?? 1000;
  const events = new Subject<ScaledOutEvent>();
  const slots = new Map<string, Slot>();
  let ending = false;
  let failure: unknown;
  let settle: (() => void) | undefined;
  const ended = new Promise<void>((resolve) => (settle = resolve));

  const member = new KafkaGroupMember<T>(
    { ...options, groupId },
    {
      assigned(partitions) {
        events.next({ type: 'assigned', partitions });
        reassign(partitions);
      },
      failed: (error) => fail(error),
    },
    logger,
  );

  function reassign(partitions: readonly KafkaTopicPartition[]): void {
    if (ending) return;
    const now = new Set(partitions.map((p) => instanceId(jobId, p.topic, p.partition)));
    for (const [id, slot] of slots) {
      if (now.has(id) || !slot.wanted) continue;
      logger.info({ jobId: id }, `partition ${slot.partition.topic}-${slot.partition.partition} was assigned to another process: stopping its job`);
      slot.wanted = false;
      slot.wake?.();
      void slot.handle?.stop();
    }
    for (const p of partitions) {
      const id = instanceId(jobId, p.topic, p.partition);
      const slot = slots.get(id);
      if (slot?.wanted) continue;
      // A job of this partition still stopping (lost and given back at once) ends before the next starts.
      const previous = slot?.ended ?? Promise.resolve();
      const next: Slot = { partition: p, jobId: id, wanted: true, handle: undefined, wake: undefined, ended: Promise.resolve() };
      next.ended = previous.then(() => runPartition(next));
      slots.set(id, next);
    }
  }

  async function runPartition(slot: Slot): Promise<void> {
    const { topic, partition } = slot.partition;
    const where = { jobId: slot.jobId, topic, partition };
    let waited = false;
    try {
      while (slot.wanted && !ending) {
        const job = partitionJob(options, { id: slot.jobId, topic, partition, source: member.partitionSource(topic, partition) });
        const handle = job.start();
        slot.handle = handle;
        const forwarding = handle.events.subscribe((event) => events.next({ type: 'partition-event', ...where, event }));
        try {
          const result = await handle.done;
          events.next({ type: 'partition-ended', ...where, result });
          if (slot.wanted && !ending) {
            // An unbounded partition ends only when stopped; anything else leaves the partition unread while this process owns it.
            fail(new ConfigurationError(`${owner} '${jobId}': the job of ${topic}-${partition} ended by itself (${result.outcome}) while this process owns the partition`));
          }
          return;
        } catch (error) {
          if (error instanceof JobLockedError && slot.wanted && !ending) {
            if (!waited) logger.info({ jobId: slot.jobId }, `partition ${topic}-${partition}: its lock is still held (${error.holder}); trying again every ${retryInterval} ms`);
            waited = true;
            events.next({ type: 'partition-waiting', ...where, holder: error.holder });
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, retryInterval);
              slot.wake = () => {
                clearTimeout(timer);
                resolve();
              };
            });
            slot.wake = undefined;
            continue;
          }
          if (slot.wanted && !ending) fail(error);
          return;
        } finally {
          forwarding.unsubscribe();
          slot.handle = undefined;
        }
      }
    } catch (error) {
      // build() threw for this partition.
      fail(error);
    }
  }

  function fail(error: unknown): void {
    if (ending) return;
    failure = error;
    logger.error({ jobId, err: error }, `scaled-out job '${jobId}' failed in this process: stopping its partitions and leaving group '${groupId}'`);
    void end();
  }

  async function end(): Promise<void> {
    if (ending) return ended;
    ending = true;
    unhandleSignals();
    for (const slot of slots.values()) {
      slot.wanted = false;
      slot.wake?.();
      void slot.handle?.stop();
    }
    await Promise.all([...slots.values()].map((slot) => slot.ended));
    // Leaving after the locks are released: the partitions' next owners start at once.
    await member.close();
    events.complete();
    settle?.();
    return ended;
  }

  const onSignal = (signal: NodeJS.Signals): void => {
    logger.info({ jobId, signal }, `${signal} received: stopping the partitions' jobs; their next owners resume from their latest checkpoints`);
    unhandleSignals();
    void end();
  };
  const unhandleSignals = (): void => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  };
  if (options.signals !== false) {
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  }

  logger.info({ jobId, groupId }, `scaled-out job '${jobId}' joining group '${groupId}' for ${options.topics.join(', ')}`);
  member.start().catch((error: unknown) => fail(error));
  const done = ended.then((): ScaledOutResult => {
    if (failure !== undefined) throw failure;
    return { outcome: 'stopped' };
  });
  done.catch(() => {});
  return {
    events: events.asObservable(),
    done,
    stop: async () => {
      await end();
      return done;
    },
    partitions: () => new Map([...slots.values()].flatMap((slot) => (slot.handle ? [[slot.jobId, slot.handle] as const] : []))),
  };
}

/** Options of {@link kafkaRepartition}. */
export interface KafkaRepartitionOptions<T> extends Pick<KafkaTransactionalSinkOptions<T>, 'kafka' | 'transactionalIdPrefix' | 'transactionTimeout' | 'checkpointTimeout' | 'maxBatchBytes'> {
  /** The repartition topic; create it first, with as many partitions as the stage that reads it should have. */
  readonly topic: string;
  /** The new key: written as each record's message key (as text), so Kafka's partitioner puts all of a key's records in one partition. */
  readonly key: (record: T) => Key;
  /** A record's value in the topic. Default JSON. */
  readonly serialize?: (record: T) => string | Buffer;
  /** Reads a value back in the next stage. Default JSON. */
  readonly deserializer?: KafkaDeserializer<T>;
}

/** A repartition through a topic: the sink that writes it and the scaled-out job that reads it back. */
export interface KafkaRepartition<T> {
  readonly topic: string;
  /**
   * A new transactional sink into the topic, each record keyed by `key`: use it as the sink of the
   * stage before (`.to(byPage.sink())`, called inside `build`, so each partition's job gets its own).
   * Records become visible when their checkpoint completes, once.
   */
  sink(): CommittingSink<T, 'exactly-once', 'exactly-once', false, KafkaTransactionCommittable, undefined>;
  /**
   * The stage after: a scaled-out job reading the topic read_committed, where `keyByMessageKey()`
   * keys each record by the `key` it was written with.
   */
  job<G extends Guarantee>(options: Omit<ScaledOutKafkaJobOptions<T, G>, 'kafka' | 'topics' | 'deserializer' | 'readUncommitted'>): ScaledOutKafkaJob<T, G>;
}

/**
 * Key a scaled-out stream by something other than its Kafka message key, as
 * Kafka Streams does: the stage before writes it to a repartition topic keyed
 * by the new key, through the transactional sink (exactly-once: one
 * transaction per checkpoint), and the stage after reads it back
 * `read_committed` as another scaled-out job, where `keyByMessageKey()` gives
 * the new key and keyed state is whole again.
 *
 * ```ts fragment
 * const byPage = kafkaRepartition<Click>({ kafka, topic: 'clicks-by-page', key: (click) => click.page });
 * const split = scaledOutKafkaJob({ id: 'clicks', kafka, topics: ['clicks'], deserializer: jsonDeserializer<Click>(),
 *   build: (input) => pipeline({ id: input.id, guarantee: 'exactly-once', checkpoints }).from(input.source).pipe(map((r) => r.value)).to(byPage.sink()) });
 * const counts = byPage.job({ id: 'page-counts',
 *   build: (input) => pipeline({ id: input.id, guarantee: 'exactly-once', checkpoints }).from(input.source)
 *     .pipe(keyByMessageKey(), count(), map(({ key, value }) => `${key}=${value}`)).to(kafkaTransactionalSink({ kafka, topic: 'page-counts' })) });
 * ```
 */
export function kafkaRepartition<T>(options: KafkaRepartitionOptions<T>): KafkaRepartition<T> {
  if (!options.topic) throw new ConfigurationError('kafkaRepartition option topic must name a topic');
  if (typeof options.key !== 'function') throw new ConfigurationError('kafkaRepartition option key must be a function of a record');
  const serialize = options.serialize ?? ((record: T) => JSON.stringify(record) ?? 'null');
  const { kafka, transactionalIdPrefix, transactionTimeout, checkpointTimeout, maxBatchBytes, key, deserializer } = options;
  const sinkOptions = { kafka, transactionalIdPrefix, transactionTimeout, checkpointTimeout, maxBatchBytes, topic: options.topic };
  return {
    topic: options.topic,
    sink: () =>
      kafkaTransactionalSink<T>({
        ...sinkOptions,
        toMessage: (record) => {
          const k = key(record);
          if (typeof k !== 'string' && typeof k !== 'number' && typeof k !== 'boolean') {
            throw new ConfigurationError(`kafkaRepartition '${options.topic}': key returned ${messageOf(k)} for a record; a key must be a string, number or boolean`);
          }
          return { key: String(k), value: serialize(record) };
        },
      }),
    job: (stage) =>
      scaledOutKafkaJob({ ...stage, kafka: options.kafka, topics: [options.topic], deserializer: deserializer ?? jsonDeserializer<T>(), readUncommitted: false }),
  };
}

