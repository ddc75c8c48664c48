import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { FetchResult, RecordBatch, Source, SourceSplit, SplitAssignment, SplitReader } from '../../contracts/source.js';
import type { LogFields, Logger } from '../../contracts/logger.js';
import { ConfigurationError, messageOf } from '../../errors.js';
import { staticSplitEnumerator } from '../shared/enumerators.js';
import { Fifo } from '../shared/fifo.js';
import type { StaticEnumeratorState } from '../shared/enumerators.js';
import { Backoff, reconnectSettings } from '../shared/reconnect.js';
import type { ReconnectOptions, ReconnectSettings } from '../shared/reconnect.js';
import { connectFailure, connector, replyCode } from './connection.js';
import type { Connector, RabbitMqConnect } from './connection.js';
import { MalformedMessageError, MissingMessageIdError, QueueInUseError, QueueNotFoundError, RabbitMqConnectionError } from './errors.js';

/** Turns a delivered message into a record; throw to reject it (the job fails with a {@link MalformedMessageError}). */
export type RabbitMqDecoder<T> = (message: ConsumeMessage) => T;

/** How the source acknowledges what it reads, which decides its guarantee. */
export type RabbitMqAckMode = 'auto-ack' | 'checkpointed';

/** Options of {@link rabbitMqSource}. */
export interface RabbitMqSourceOptions<T> {
  /** How to connect (a URL, connect options, or a function making a connection). */
  readonly connection: RabbitMqConnect;
  /** The queues to read, each a split; they must exist. */
  readonly queues: readonly string[];
  /**
   * `'auto-ack'`: a message is acknowledged as it is handed to the pipeline,
   * so a failure loses what was in flight (at-most-once). `'checkpointed'`:
   * acknowledged only once the checkpoint covering it completes, and
   * redeliveries are de-duplicated by message id (exactly-once).
   */
  readonly mode: RabbitMqAckMode;
  /** Turns a message into a record. Default: its body as strict UTF-8 text. */
  readonly decoder?: RabbitMqDecoder<T>;
  /**
   * Unacknowledged messages the broker sends a queue's consumer at most: the
   * bound on what the source holds in memory. In checkpointed mode it must
   * exceed what arrives between two checkpoints, or reading waits for the
   * next checkpoint to acknowledge. Default 1000.
   */
  readonly prefetch?: number;
  /** The message property the checkpointed mode de-duplicates by. Default `'messageId'`. */
  readonly deduplicateBy?: 'messageId' | 'correlationId';
  /** Records a fetch returns at most. Default 500. */
  readonly fetchSize?: number;
  /** Backoff and attempts when the connection or a channel is lost, or a queue is held by another consumer. */
  readonly reconnect?: ReconnectOptions;
}

/** One split of a RabbitMQ source: a queue. */
export interface RabbitMqSplit extends SourceSplit {
  /** The queue's name. */
  readonly splitId: string;
}

/**
 * What the checkpointed mode stores for a queue: ids of messages emitted (or
 * dropped as redeliveries) whose acknowledgement the broker has not confirmed
 * yet. A message redelivered with one of these ids was emitted before the
 * checkpoint, so it is dropped. Ids leave once their acknowledgement is
 * confirmed, so the set stays within what is in flight.
 */
export interface RabbitMqCheckpointedPosition {
  readonly unacknowledged: readonly string[];
}

/** What the auto-ack mode stores for a queue: an account, not a place to resume from. */
export interface RabbitMqAutoAckPosition {
  readonly received: number;
}

type Position = RabbitMqCheckpointedPosition | RabbitMqAutoAckPosition;

type RabbitMqSource<T, G extends 'at-most-once' | 'exactly-once', P> = Source<T, G, 'nondeterministic', RabbitMqSplit, P, StaticEnumeratorState<RabbitMqSplit>>;

/**
 * Reads RabbitMQ queues, each a split, with a bounded prefetch. Its
 * guarantee follows its mode:
 *
 * - `'auto-ack'` (at-most-once): each fetch's messages are acknowledged, and
 *   the acknowledgement confirmed by a round trip, before they go out; a
 *   failure loses what the pipeline held. Messages whose acknowledgement could
 *   not be confirmed are dropped rather than risk emitting them twice.
 * - `'checkpointed'` (exactly-once, as Flink's RMQSource with correlation
 *   ids): messages are acknowledged when the checkpoint that covers them
 *   completes; unacknowledged ones return to the queue after a failure and
 *   are dropped by id if the restored checkpoint had them. Every message
 *   needs the id (`messageId`, or `correlationId`); the source takes each
 *   queue with an exclusive consumer. An acknowledgement that fails leaves the
 *   ids in the set: the messages come again, are dropped, and the next
 *   checkpoint acknowledges them.
 *
 * Queues are read side by side, so replay is `'nondeterministic'`. A lost
 * connection or channel is made again with backoff; past `reconnect.maxAttempts`
 * the job fails with a {@link RabbitMqConnectionError}.
 */
export function rabbitMqSource(
  options: RabbitMqSourceOptions<string> & { readonly mode: 'checkpointed'; readonly decoder?: undefined },
): RabbitMqSource<string, 'exactly-once', RabbitMqCheckpointedPosition>;
export function rabbitMqSource<T>(
  options: RabbitMqSourceOptions<T> & { readonly mode: 'checkpointed'; readonly decoder: RabbitMqDecoder<T> },
): RabbitMqSource<T, 'exactly-once', RabbitMqCheckpointedPosition>;
export function rabbitMqSource(
  options: RabbitMqSourceOptions<string> & { readonly mode: 'auto-ack'; readonly decoder?: undefined },
): RabbitMqSource<string, 'at-most-once', RabbitMqAutoAckPosition>;
export function rabbitMqSource<T>(
  options: RabbitMqSourceOptions<T> & { readonly mode: 'auto-ack'; readonly decoder: RabbitMqDecoder<T> },
): RabbitMqSource<T, 'at-most-once', RabbitMqAutoAckPosition>;
export function rabbitMqSource<T>(options: RabbitMqSourceOptions<T>): RabbitMqSource<T, 'at-most-once' | 'exactly-once', Position> {
  const settings = readerSettings(options);
  const splits = settings.queues.map((queue): RabbitMqSplit => ({ splitId: queue }));
  const guarantee = settings.checkpointed ? 'exactly-once' : 'at-most-once';
  return {
    name: 'rabbitmq',
    guarantee,
    replay: 'nondeterministic',
    createEnumerator: (init) => staticSplitEnumerator(init, () => splits),
    createReader: ({ jobId, taskId, logger }) => new RabbitMqReader<T>(settings, logger, { jobId, taskId, broker: settings.connector.broker }),
  };
}

interface ReaderSettings<T> {
  readonly connector: Connector;
  readonly queues: readonly string[];
  readonly checkpointed: boolean;
  readonly decoder: RabbitMqDecoder<T>;
  readonly prefetch: number;
  readonly idProperty: 'messageId' | 'correlationId';
  readonly fetchSize: number;
  readonly reconnect: ReconnectSettings;
}

function whole(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) throw new ConfigurationError(`rabbitMqSource ${name} must be a whole number >= ${min}, got ${value}`);
  return value;
}

function readerSettings<T>(options: RabbitMqSourceOptions<T>): ReaderSettings<T> {
  const { queues, mode } = options;
  if (!Array.isArray(queues) || queues.length === 0 || queues.some((q) => typeof q !== 'string' || q.length === 0)) {
    throw new ConfigurationError('rabbitMqSource queues must be a non-empty list of queue names');
  }
  if (new Set(queues).size !== queues.length) throw new ConfigurationError(`rabbitMqSource queues lists a queue twice: ${queues.join(', ')}`);
  if (mode !== 'auto-ack' && mode !== 'checkpointed') throw new ConfigurationError(`rabbitMqSource mode must be 'auto-ack' or 'checkpointed', got ${String(mode)}`);
  const idProperty = options.deduplicateBy ?? 'messageId';
  if (idProperty !== 'messageId' && idProperty !== 'correlationId') throw new ConfigurationError(`rabbitMqSource deduplicateBy must be 'messageId' or 'correlationId', got ${String(idProperty)}`);
  return {
    connector: connector('rabbitMqSource', options.connection),
    queues: [...queues],
    checkpointed: mode === 'checkpointed',
    decoder: options.decoder ?? (utf8 as RabbitMqDecoder<T>),
    prefetch: whole('prefetch', options.prefetch ?? 1000, 1),
    idProperty,
    fetchSize: whole('fetchSize', options.fetchSize ?? 500, 1),
    reconnect: reconnectSettings('rabbitMqSource', options.reconnect),
  };
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const utf8: RabbitMqDecoder<string> = (message) => strictUtf8.decode(message.content);

/** A delivery on a channel, with the channel it must be acknowledged on. */
interface Delivery {
  readonly message: ConsumeMessage;
  readonly channel: Channel;
  readonly id: string | undefined;
}

/** One queue being read: its channel, what was delivered and not emitted, and what waits for an acknowledgement. */
class QueueState {
  channel: Channel | undefined;
  /** Delivered on the current channel, not emitted yet, in order. */
  readonly buffer = new Fifo<Delivery>();
  paused = false;
  subscribing = false;
  /** Asked to subscribe while subscribing: go again once that attempt ends without a channel. */
  again = false;
  readonly backoff: Backoff;
  // Checkpointed mode: id -> sequence number of its emission (0: restored from a checkpoint).
  readonly ids = new Map<string, number>();
  nextSequence = 1;
  /** Emitted (or dropped as redeliveries) and not acknowledged yet. */
  toAcknowledge: Delivery[] = [];
  /** Ids restored from a checkpoint whose message has not come again (it may have been acknowledged before the failure). */
  restoredUnseen = new Set<string>();
  received = 0;

  constructor(
    readonly queue: string,
    backoff: Backoff,
  ) {
    this.backoff = backoff;
  }
}

const nothing: FetchResult<never, Position> = { batches: [], finished: [] };

class RabbitMqReader<T> implements SplitReader<T, RabbitMqSplit, Position> {
  private readonly queues = new Map<string, QueueState>();
  private connection: ChannelModel | undefined;
  private connecting = false;
  private readonly connectionBackoff: Backoff;
  private closed = false;
  private failure: unknown;
  private wake: (() => void) | undefined;

  constructor(
    private readonly settings: ReaderSettings<T>,
    private readonly logger: Logger | undefined,
    private readonly fields: LogFields,
  ) {
    this.connectionBackoff = new Backoff(settings.reconnect, logger, fields);
  }

  addSplits(assignments: readonly SplitAssignment<RabbitMqSplit, Position>[]): void {
    for (const { split, position } of assignments) {
      const state = new QueueState(split.splitId, new Backoff(this.settings.reconnect, this.logger, { ...this.fields, queue: split.splitId }));
      if (position && 'unacknowledged' in position) {
        for (const id of position.unacknowledged) state.ids.set(id, 0);
        state.restoredUnseen = new Set(position.unacknowledged);
      } else if (position && 'received' in position) {
        state.received = position.received;
      }
      this.queues.set(split.splitId, state);
    }
    if (this.connection) for (const state of this.queues.values()) this.subscribe(state, undefined);
    else this.connect(undefined);
  }

  async fetch(): Promise<FetchResult<T, Position>> {
    for (;;) {
      if (this.closed) return nothing;
      if (this.failure !== undefined) throw this.failure;
      const batches: RecordBatch<T, Position>[] = [];
      let room = this.settings.fetchSize;
      for (const state of this.queues.values()) {
        if (room === 0) break;
        if (state.paused || state.buffer.length === 0) continue;
        const batch = this.settings.checkpointed ? this.takeCheckpointed(state, room) : await this.takeAutoAck(state, room);
        if (batch) {
          batches.push(batch);
          room -= batch.records.length;
        }
      }
      if (batches.length > 0) return { batches, finished: [] };
      if (this.failure !== undefined) throw this.failure;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  wakeUp(): void {
    this.wake?.();
  }

  pauseOrResumeSplits(pause: readonly string[], resume: readonly string[]): void {
    // Nothing is acknowledged for a paused queue, so the broker stops at `prefetch` messages: its buffer stays bounded.
    for (const id of pause) {
      const state = this.queues.get(id);
      if (state) state.paused = true;
    }
    for (const id of resume) {
      const state = this.queues.get(id);
      if (state) state.paused = false;
    }
    this.wake?.();
  }

  async checkpointComplete(_checkpointId: number, positions: ReadonlyMap<string, Position | undefined>): Promise<void> {
    if (!this.settings.checkpointed) return;
    await Promise.all(
      [...positions].map(([queue, position]) => {
        const state = this.queues.get(queue);
        return state && position && 'unacknowledged' in position ? this.acknowledge(state, new Set(position.unacknowledged)) : undefined;
      }),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    const connection = this.connection;
    this.connection = undefined;
    // Closing the connection returns every unacknowledged message to its queue.
    await connection?.close().catch(() => {});
  }

  /** Emit up to `room` buffered messages, dropping those a restored or earlier checkpoint already holds. */
  private takeCheckpointed(state: QueueState, room: number): RecordBatch<T, Position> | undefined {
    const records: T[] = [];
    const firstSequence = state.nextSequence;
    while (records.length < room && state.buffer.length > 0) {
      const delivery = state.buffer.peek() as Delivery;
      const id = delivery.id as string;
      if (state.ids.has(id)) {
        // Emitted before: acknowledged with the next checkpoint that completes, not emitted again.
        state.buffer.shift();
        state.toAcknowledge.push(delivery);
        continue;
      }
      let record: T;
      try {
        record = this.decode(state, delivery);
      } catch (error) {
        if (records.length === 0) throw error;
        this.failure = error;
        break;
      }
      state.buffer.shift();
      state.ids.set(id, state.nextSequence++);
      state.toAcknowledge.push(delivery);
      records.push(record);
    }
    if (records.length === 0) return undefined;
    return {
      splitId: state.queue,
      records,
      // Ids emitted up to record `index`, and every earlier one not yet confirmed acknowledged.
      positionAfter: (index) => {
        const last = firstSequence + index;
        const unacknowledged: string[] = [];
        for (const [id, sequence] of state.ids) if (sequence <= last) unacknowledged.push(id);
        return { unacknowledged };
      },
    };
  }

  /** Acknowledge up to `room` buffered messages, confirm it with a round trip, and only then emit them. */
  private async takeAutoAck(state: QueueState, room: number): Promise<RecordBatch<T, Position> | undefined> {
    const taken = state.buffer.take(room);
    const last = taken[taken.length - 1] as Delivery;
    try {
      last.channel.ack(last.message, true);
      await last.channel.checkQueue(state.queue);
    } catch (error) {
      // Unconfirmed: emitting them could emit them twice (the broker may redeliver), so they are given up.
      this.logger?.warn({ ...this.fields, queue: state.queue, messages: taken.length, err: error }, 'acknowledgement not confirmed; messages dropped (at-most-once)');
      return undefined;
    }
    const records: T[] = [];
    for (const delivery of taken) {
      try {
        records.push(this.decode(state, delivery));
      } catch (error) {
        if (records.length === 0) throw error;
        this.failure = error;
        break;
      }
    }
    const base = state.received;
    state.received += records.length;
    return { splitId: state.queue, records, positionAfter: (index) => ({ received: base + index + 1 }) };
  }

  private decode(state: QueueState, delivery: Delivery): T {
    try {
      return this.settings.decoder(delivery.message);
    } catch (cause) {
      throw new MalformedMessageError(state.queue, delivery.id ?? `with delivery tag ${delivery.message.fields.deliveryTag}`, cause);
    }
  }

  /** Acknowledge what the completed checkpoint covers, on the channel that delivered it; ids leave once the broker confirmed. */
  private async acknowledge(state: QueueState, covered: ReadonlySet<string>): Promise<void> {
    const channel = state.channel;
    const due: Delivery[] = [];
    const rest: Delivery[] = [];
    for (const delivery of state.toAcknowledge) {
      if (!covered.has(delivery.id as string)) rest.push(delivery);
      // A delivery of a lost channel went back to the queue: its redelivery is dropped and acknowledged later.
      else if (delivery.channel === channel) due.push(delivery);
    }
    state.toAcknowledge = rest;
    if (!channel || due.length === 0) return;
    try {
      acknowledgeAll(channel, due, rest);
      // The broker handles a channel's methods in order: once this answers, the acknowledgements before it took effect.
      await channel.checkQueue(state.queue);
    } catch (error) {
      // The ids stay: the messages come again, are dropped as emitted, and the next checkpoint acknowledges them.
      this.logger?.warn({ ...this.fields, queue: state.queue, messages: due.length, err: error }, 'acknowledgement failed; the next checkpoint acknowledges these messages');
      return;
    }
    for (const delivery of due) state.ids.delete(delivery.id as string);
  }

  private fail(error: unknown): void {
    this.failure ??= error;
    this.wake?.();
  }

  private connect(lastFailure: unknown): void {
    if (this.closed || this.connecting) return;
    this.connecting = true;
    const attempt = async (): Promise<void> => {
      let cause = lastFailure;
      for (;;) {
        if (cause !== undefined) {
          const delay = this.connectionBackoff.next(cause);
          if (delay === undefined) {
            throw new RabbitMqConnectionError(this.settings.connector.broker, `gave up after ${this.connectionBackoff.failures} attempts: ${messageOf(cause)}`, { cause, retriable: true });
          }
          await new Promise((resolve) => setTimeout(resolve, delay));
        }
        if (this.closed) return;
        try {
          const connection = await this.settings.connector.open();
          if (this.closed) {
            await connection.close().catch(() => {});
            return;
          }
          this.connectionBackoff.reset();
          this.connection = connection;
          connection.on('error', () => {});
          connection.on('close', (error?: Error) => this.connectionLost(connection, error));
          for (const state of this.queues.values()) this.subscribe(state, undefined);
          return;
        } catch (error) {
          const failure = connectFailure(this.settings.connector.broker, error);
          if (failure.name === 'RabbitMqAuthenticationError') throw failure;
          cause = failure;
        }
      }
    };
    attempt().then(
      () => (this.connecting = false),
      (error: unknown) => {
        this.connecting = false;
        this.fail(error);
      },
    );
  }

  private connectionLost(connection: ChannelModel, error: Error | undefined): void {
    if (this.closed || this.connection !== connection) return;
    this.connection = undefined;
    this.connectionBackoff.lost(error);
    for (const state of this.queues.values()) this.channelGone(state);
    this.connect(undefined);
  }

  /** Everything delivered on a lost channel goes back to the queue: forget it (emitted ids stay, to drop the redeliveries). */
  private channelGone(state: QueueState): void {
    state.channel = undefined;
    state.buffer.clear();
    state.toAcknowledge = [];
  }

  private subscribe(state: QueueState, lastFailure: unknown): void {
    if (this.closed) return;
    if (state.subscribing) {
      state.again = true;
      return;
    }
    state.subscribing = true;
    state.again = false;
    const attempt = async (): Promise<void> => {
      let cause = lastFailure;
      for (;;) {
        if (cause !== undefined) {
          const delay = state.backoff.next(cause);
          if (delay === undefined) {
            if (cause instanceof QueueInUseError) throw cause;
            throw new RabbitMqConnectionError(this.settings.connector.broker, `channel for queue '${state.queue}' failed ${state.backoff.failures} times: ${messageOf(cause)}`, { cause, retriable: true });
          }
          await new Promise((resolve) => setTimeout(resolve, delay));
        }
        const connection = this.connection;
        // A lost connection resubscribes every queue once it is made again.
        if (this.closed || !connection) return;
        let channel: Channel | undefined;
        try {
          channel = await connection.createChannel();
          channel.on('error', () => {});
          const opened = channel;
          opened.on('close', () => this.channelClosed(state, opened));
          await opened.checkQueue(state.queue);
          await opened.prefetch(this.settings.prefetch, false);
          state.channel = opened;
          await opened.consume(state.queue, (message) => this.delivered(state, opened, message), { noAck: false, exclusive: this.settings.checkpointed });
          state.backoff.reset();
          return;
        } catch (error) {
          if (state.channel === channel) state.channel = undefined;
          const code = replyCode(error);
          if (code === 404) throw new QueueNotFoundError(state.queue, error);
          cause = code === 403 ? new QueueInUseError(state.queue, error) : error;
          if (!this.connection || this.connection !== connection) return;
        }
      }
    };
    attempt().then(
      () => {
        state.subscribing = false;
        if (state.again && !state.channel) this.subscribe(state, undefined);
      },
      (error: unknown) => {
        state.subscribing = false;
        this.fail(error);
      },
    );
  }

  private channelClosed(state: QueueState, channel: Channel): void {
    if (state.channel !== channel) return;
    this.channelGone(state);
    // A channel closed while its connection lives (the broker closed it): open another.
    if (!this.closed && this.connection) {
      state.backoff.lost();
      this.subscribe(state, undefined);
    }
  }

  private delivered(state: QueueState, channel: Channel, message: ConsumeMessage | null): void {
    if (this.closed || state.channel !== channel) return;
    if (message === null) {
      // The broker cancelled the consumer (the queue was deleted): subscribing again says why.
      this.channelGone(state);
      void channel.close().catch(() => {});
      this.subscribe(state, new Error(`the broker cancelled the consumer of queue '${state.queue}'`));
      return;
    }
    let id: string | undefined;
    if (this.settings.checkpointed) {
      const value: unknown = message.properties[this.settings.idProperty];
      if (value === undefined || value === null || value === '') return this.fail(new MissingMessageIdError(state.queue, this.settings.idProperty, message.fields.deliveryTag));
      id = String(value);
      if (state.restoredUnseen.size > 0) {
        if (message.fields.redelivered) state.restoredUnseen.delete(id);
        else {
          // A first delivery comes after every requeued message ahead of it: restored ids not seen again were acknowledged before the failure.
          for (const gone of state.restoredUnseen) if (state.ids.get(gone) === 0) state.ids.delete(gone);
          state.restoredUnseen.clear();
        }
      }
    }
    state.buffer.push({ message, channel, id });
    this.wake?.();
  }
}


/**
 * Acknowledge `due` on `channel`: with one `multiple` acknowledgement of the
 * newest when nothing older on the channel stays unacknowledged (the usual
 * case: a checkpoint covers a prefix of the deliveries), else one by one.
 */
function acknowledgeAll(channel: Channel, due: readonly Delivery[], staying: readonly Delivery[]): void {
  let newest = due[0] as Delivery;
  for (const delivery of due) if (delivery.message.fields.deliveryTag > newest.message.fields.deliveryTag) newest = delivery;
  const upTo = newest.message.fields.deliveryTag;
  // Deliveries still buffered came after every emitted one, so only those staying unacknowledged can be older.
  const olderStays = staying.some((delivery) => delivery.channel === channel && delivery.message.fields.deliveryTag < upTo);
  if (olderStays) for (const delivery of due) channel.ack(delivery.message);
  else channel.ack(newest.message, true);
}
