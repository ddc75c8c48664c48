import { OnceflowError } from '../../errors.js';

/** The broker could not be reached, or the connection to it was lost past the retry budget. */
export class RabbitMqConnectionError extends OnceflowError {
  override readonly name = 'RabbitMqConnectionError';
  constructor(
    /** The broker, `amqp://host:port` with credentials left out. */
    readonly broker: string,
    message: string,
    options: { cause?: unknown; retriable?: boolean } = {},
  ) {
    super(`RabbitMQ ${broker}: ${message}`, options);
  }
}

/** The broker refused the credentials (ACCESS_REFUSED at login). Trying again refuses the same way. */
export class RabbitMqAuthenticationError extends OnceflowError {
  override readonly name = 'RabbitMqAuthenticationError';
  constructor(
    /** The broker, `amqp://host:port` with credentials left out. */
    readonly broker: string,
    cause: unknown,
  ) {
    super(`RabbitMQ ${broker} refused the login: check the user name, password and virtual host of the connection`, { cause, retriable: false });
  }
}

/** A queue the connector reads does not exist (the broker answered 404 NOT_FOUND). */
export class QueueNotFoundError extends OnceflowError {
  override readonly name = 'QueueNotFoundError';
  constructor(
    /** The queue. */
    readonly queue: string,
    cause: unknown,
  ) {
    super(`RabbitMQ queue '${queue}' does not exist: declare it before the job starts`, { cause, retriable: false });
  }
}

/**
 * Another consumer holds the queue, so an exclusive consumer cannot take it.
 * The checkpointed (exactly-once) mode needs to be the queue's only consumer:
 * another one would take messages this job never de-duplicates. Retriable: a
 * killed job's consumer lingers until the broker notices its connection is gone.
 */
export class QueueInUseError extends OnceflowError {
  override readonly name = 'QueueInUseError';
  constructor(
    /** The queue. */
    readonly queue: string,
    cause: unknown,
  ) {
    super(`RabbitMQ queue '${queue}' has another consumer: the checkpointed mode must be its only consumer (stop the other consumer, or use mode 'auto-ack')`, {
      cause,
      retriable: true,
    });
  }
}

/** A message without the id the checkpointed mode de-duplicates by: without it a redelivery would be a silent duplicate. */
export class MissingMessageIdError extends OnceflowError {
  override readonly name = 'MissingMessageIdError';
  constructor(
    /** The queue the message came from. */
    readonly queue: string,
    /** The property that was missing: `messageId` or `correlationId`. */
    readonly property: string,
    /** The delivery tag of the message on its channel. */
    readonly deliveryTag: number,
  ) {
    super(
      `message (delivery tag ${deliveryTag}) of RabbitMQ queue '${queue}' has no ${property}: the checkpointed mode de-duplicates redeliveries by it, so publishers must set it (or read the queue with mode 'auto-ack')`,
      { retriable: false },
    );
  }
}

/** The decoder rejected a message's body. Reading it again meets the same bytes, so it is not retriable. */
export class MalformedMessageError extends OnceflowError {
  override readonly name = 'MalformedMessageError';
  constructor(
    /** The queue the message came from. */
    readonly queue: string,
    /** The message's id, or its delivery tag when it has none. */
    readonly messageRef: string,
    cause: unknown,
  ) {
    super(`message ${messageRef} of RabbitMQ queue '${queue}' could not be decoded: ${cause instanceof Error ? cause.message : String(cause)}`, { cause, retriable: false });
  }
}

/** A message published with `mandatory` was returned by the broker: no queue is bound for its exchange and routing key. */
export class UnroutableMessageError extends OnceflowError {
  override readonly name = 'UnroutableMessageError';
  constructor(
    /** The exchange it was published to (`''` for the default exchange). */
    readonly exchange: string,
    /** Its routing key. */
    readonly routingKey: string,
  ) {
    super(`RabbitMQ returned a message published to exchange '${exchange}' with routing key '${routingKey}': no queue is bound for it`, { retriable: false });
  }
}

/** The broker nacked a published message (a queue's overflow policy, an internal error). */
export class PublishRejectedError extends OnceflowError {
  override readonly name = 'PublishRejectedError';
  constructor(
    readonly exchange: string,
    readonly routingKey: string,
  ) {
    super(`RabbitMQ nacked a message published to exchange '${exchange}' with routing key '${routingKey}'`, { retriable: true });
  }
}
