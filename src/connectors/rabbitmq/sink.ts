import type { ChannelModel, ConfirmChannel, Message, Options } from 'amqplib';
import type { FlushingSink, SinkWriter } from '../../contracts/sink.js';
import type { LogFields, Logger } from '../../contracts/logger.js';
import { ConfigurationError, messageOf } from '../../errors.js';
import { Backoff, reconnectSettings } from '../shared/reconnect.js';
import type { ReconnectOptions, ReconnectSettings } from '../shared/reconnect.js';
import { Waiters } from '../shared/waiters.js';
import { connectFailure, connector } from './connection.js';
import type { Connector, RabbitMqConnect } from './connection.js';
import { PublishRejectedError, RabbitMqConnectionError, UnroutableMessageError } from './errors.js';

/** A message to publish, built from a record. */
export interface RabbitMqOutgoingMessage {
  /** The exchange; `''` (the default exchange) routes by queue name. Default `''`. */
  readonly exchange?: string;
  /** The routing key (the queue's name on the default exchange). */
  readonly routingKey: string;
  /** The body; a string is sent as UTF-8. */
  readonly content: Buffer | string;
  /** Application headers. */
  readonly headers?: Readonly<Record<string, unknown>>;
  /** Message properties: `messageId`, `correlationId`, `contentType`, `persistent`, `expiration`, ... */
  readonly properties?: Omit<Options.Publish, 'headers' | 'mandatory'>;
}

/** Options of {@link rabbitMqSink}. */
export interface RabbitMqSinkOptions<T> {
  /** How to connect (a URL, connect options, or a function making a connection). */
  readonly connection: RabbitMqConnect;
  /** The message each record becomes. */
  readonly toMessage: (record: T) => RabbitMqOutgoingMessage;
  /** Publish with `mandatory`: a message no queue takes comes back and fails the job with an {@link UnroutableMessageError}. Default true. */
  readonly mandatory?: boolean;
  /** Published messages awaiting the broker's confirm before `write` holds back the records behind it. Default 1000. */
  readonly maxUnconfirmed?: number;
  /** Backoff and attempts when the connection or channel is lost; unconfirmed messages are published again on the new one. */
  readonly reconnect?: ReconnectOptions;
}

/**
 * Publishes records to RabbitMQ with publisher confirms, at-least-once: on
 * each barrier it waits until the broker confirmed every message published
 * before it. A message the broker nacks fails the job with a
 * {@link PublishRejectedError}; one it returns as unroutable (with
 * `mandatory`) with an {@link UnroutableMessageError}, never a silent loss.
 * After a lost connection, the messages not confirmed yet are published
 * again on the next one (so a consumer may see them twice).
 */
export function rabbitMqSink<T>(options: RabbitMqSinkOptions<T>): FlushingSink<T, 'at-least-once'> {
  const settings = sinkSettings(options);
  return {
    name: 'rabbitmq',
    kind: 'flushing',
    guarantee: 'at-least-once',
    requires: 'at-most-once',
    deterministicOnly: false,
    createWriter: async ({ jobId, taskId, logger }) => {
      const writer = new RabbitMqWriter<T>(settings, logger, { jobId, taskId, broker: settings.connector.broker });
      await writer.open();
      return writer;
    },
  };
}

interface SinkSettings<T> {
  readonly connector: Connector;
  readonly toMessage: (record: T) => RabbitMqOutgoingMessage;
  readonly mandatory: boolean;
  readonly maxUnconfirmed: number;
  readonly reconnect: ReconnectSettings;
}

function sinkSettings<T>(options: RabbitMqSinkOptions<T>): SinkSettings<T> {
  if (typeof options.toMessage !== 'function') throw new ConfigurationError('rabbitMqSink toMessage must be a function from a record to a message');
  const maxUnconfirmed = options.maxUnconfirmed ?? 1000;
  if (!Number.isInteger(maxUnconfirmed) || maxUnconfirmed < 1) throw new ConfigurationError(`rabbitMqSink maxUnconfirmed must be a whole number >= 1, got ${maxUnconfirmed}`);
  const mandatory = options.mandatory ?? true;
  if (typeof mandatory !== 'boolean') throw new ConfigurationError(`rabbitMqSink mandatory must be true or false, got ${String(mandatory)}`);
  return {
    connector: connector('rabbitMqSink', options.connection),
    toMessage: options.toMessage,
    mandatory,
    maxUnconfirmed,
    reconnect: reconnectSettings('rabbitMqSink', options.reconnect),
  };
}

interface Outgoing {
  readonly exchange: string;
  readonly routingKey: string;
  readonly content: Buffer;
  readonly options: Options.Publish;
}

class RabbitMqWriter<T> implements SinkWriter<T> {
  private connection: ChannelModel | undefined;
  private channel: ConfirmChannel | undefined;
  /** Published and not confirmed yet, in order: published again on a new channel after a loss. */
  private readonly unconfirmed = new Set<Outgoing>();
  private failure: Error | undefined;
  private closed = false;
  private reconnecting: Promise<void> | undefined;
  private readonly backoff: Backoff;
  private readonly waiters = new Waiters();

  constructor(
    private readonly settings: SinkSettings<T>,
    logger: Logger | undefined,
    fields: LogFields,
  ) {
    this.backoff = new Backoff(settings.reconnect, logger, fields);
  }

  async open(): Promise<void> {
    let cause: unknown;
    for (;;) {
      if (cause !== undefined) {
        const delay = this.backoff.next(cause);
        if (delay === undefined) {
          throw new RabbitMqConnectionError(this.settings.connector.broker, `gave up after ${this.backoff.failures} attempts: ${messageOf(cause)}`, { cause, retriable: true });
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
      if (this.closed) return;
      let connection: ChannelModel | undefined;
      try {
        connection = await this.settings.connector.open();
        const channel = await connection.createConfirmChannel();
        this.watch(connection, channel);
        this.backoff.reset();
        // What the lost channel left unconfirmed goes out again, in order.
        for (const message of this.unconfirmed) this.send(channel, message);
        return;
      } catch (error) {
        await connection?.close().catch(() => {});
        const failure = connectFailure(this.settings.connector.broker, error);
        if (failure.name === 'RabbitMqAuthenticationError') throw failure;
        cause = failure;
      }
    }
  }

  async write(record: T): Promise<void> {
    if (this.failure) throw this.failure;
    const message = this.outgoing(this.settings.toMessage(record));
    this.unconfirmed.add(message);
    if (this.channel) {
      const more = this.send(this.channel, message);
      if (!more) await this.until(() => !this.channel || this.drained, 'drain');
    } else {
      await this.reconnect();
    }
    if (this.unconfirmed.size >= this.settings.maxUnconfirmed) await this.until(() => this.unconfirmed.size < this.settings.maxUnconfirmed, 'confirms');
  }

  async flush(): Promise<void> {
    if (!this.channel && this.unconfirmed.size > 0) await this.reconnect();
    await this.until(() => this.unconfirmed.size === 0, 'confirms');
  }

  async close(): Promise<void> {
    this.closed = true;
    this.notify();
    const connection = this.connection;
    this.connection = undefined;
    this.channel = undefined;
    await connection?.close().catch(() => {});
  }

  private drained = true;

  private outgoing(message: RabbitMqOutgoingMessage): Outgoing {
    const exchange = message.exchange ?? '';
    if (typeof message.routingKey !== 'string') throw new ConfigurationError(`rabbitMqSink toMessage returned a message without a routingKey (exchange '${exchange}')`);
    const content = typeof message.content === 'string' ? Buffer.from(message.content) : message.content;
    const options: Options.Publish = { ...message.properties, mandatory: this.settings.mandatory };
    if (message.headers) options.headers = { ...message.headers };
    return { exchange, routingKey: message.routingKey, content, options };
  }

  private send(channel: ConfirmChannel, message: Outgoing): boolean {
    const more = channel.publish(message.exchange, message.routingKey, message.content, message.options, (error: unknown) => {
      if (this.channel !== channel) return;
      // amqplib also calls back with an error when the channel closes: that message is published again on the next one.
      if (error && /nacked/.test(messageOf(error))) this.fail(new PublishRejectedError(message.exchange, message.routingKey));
      else if (!error) this.unconfirmed.delete(message);
      this.notify();
    });
    if (!more) this.drained = false;
    return more;
  }

  private watch(connection: ChannelModel, channel: ConfirmChannel): void {
    this.connection = connection;
    this.channel = channel;
    connection.on('error', () => {});
    channel.on('error', () => {});
    channel.on('drain', () => {
      this.drained = true;
      this.notify();
    });
    // With mandatory, a message no queue takes comes back (before its confirm): a loss unless it fails the job.
    channel.on('return', (message: Message) => this.fail(new UnroutableMessageError(message.fields.exchange, message.fields.routingKey)));
    const lost = (): void => {
      if (this.channel !== channel) return;
      this.channel = undefined;
      this.drained = true;
      void connection.close().catch(() => {});
      this.backoff.lost();
      this.notify();
      if (!this.closed) void this.reconnect().catch(() => {});
    };
    channel.on('close', lost);
    connection.on('close', lost);
  }

  private reconnect(): Promise<void> {
    this.reconnecting ??= this.open().then(
      () => {
        this.reconnecting = undefined;
        this.notify();
      },
      (error: unknown) => {
        this.reconnecting = undefined;
        this.fail(error instanceof Error ? error : new Error(String(error)));
      },
    );
    return this.reconnecting;
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.notify();
  }

  private until(done: () => boolean, what: string): Promise<void> {
    return this.waiters.until(done, () =>
      this.failure ?? (this.closed ? new RabbitMqConnectionError(this.settings.connector.broker, `writer closed while waiting for ${what}`, { retriable: true }) : undefined),
    );
  }

  private notify(): void {
    this.waiters.notify();
  }
}
