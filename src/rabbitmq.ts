// `onceflow/rabbitmq`: the RabbitMQ connectors, kept out of the main entry point
// so that `import 'onceflow'` works without amqplib installed (it is an optional peer).
export { rabbitMqSource } from './connectors/rabbitmq/source.js';
export type {
  RabbitMqSourceOptions,
  RabbitMqSplit,
  RabbitMqAckMode,
  RabbitMqDecoder,
  RabbitMqCheckpointedPosition,
  RabbitMqAutoAckPosition,
} from './connectors/rabbitmq/source.js';
export { rabbitMqSink } from './connectors/rabbitmq/sink.js';
export type { RabbitMqSinkOptions, RabbitMqOutgoingMessage } from './connectors/rabbitmq/sink.js';
export type { RabbitMqConnect } from './connectors/rabbitmq/connection.js';
export {
  RabbitMqConnectionError,
  RabbitMqAuthenticationError,
  QueueNotFoundError,
  QueueInUseError,
  MissingMessageIdError,
  MalformedMessageError,
  UnroutableMessageError,
  PublishRejectedError,
} from './connectors/rabbitmq/errors.js';
