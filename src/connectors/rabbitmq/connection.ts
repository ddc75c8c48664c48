import { connect } from 'amqplib';
import type { ChannelModel, Options } from 'amqplib';
import { ConfigurationError, maskSecrets } from '../../errors.js';
import { RabbitMqAuthenticationError, RabbitMqConnectionError } from './errors.js';

/**
 * How a RabbitMQ connector connects: an `amqp://` URL or amqplib's connect
 * options, or a function that makes a new connection the way the application
 * does (TLS, its own client properties). The connector calls it again after
 * losing a connection, and closes the connections it made.
 */
export type RabbitMqConnect = string | Options.Connect | (() => Promise<ChannelModel>);

/** A connect option checked: how to open a connection, and how to name the broker in messages. */
export interface Connector {
  readonly broker: string;
  open(): Promise<ChannelModel>;
}

export function connector(name: string, option: RabbitMqConnect | undefined): Connector {
  if (typeof option === 'function') return { broker: 'rabbitmq', open: option };
  if (typeof option === 'string') {
    if (!/^amqps?:\/\//.test(option)) throw new ConfigurationError(`${name} connection must be an amqp:// or amqps:// URL, got ${maskSecrets(option)}`);
    const url = new URL(option);
    return { broker: `${url.protocol}//${url.host}`, open: () => connect(option) };
  }
  if (typeof option === 'object' && option !== null) {
    return { broker: `${option.protocol ?? 'amqp'}://${option.hostname ?? 'localhost'}:${option.port ?? 5672}`, open: () => connect(option) };
  }
  throw new ConfigurationError(`${name} connection is required: an amqp:// URL, connect options, or a function returning an amqplib connection`);
}

function text(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The reply code of an AMQP error (404, 403), if it carries one. */
export function replyCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** Turn a failed connection attempt into a named error: a refused login is never retried. */
export function connectFailure(broker: string, error: unknown): Error {
  if (/ACCESS[-_]REFUSED/.test(text(error))) return new RabbitMqAuthenticationError(broker, error);
  return new RabbitMqConnectionError(broker, `cannot connect: ${text(error)}`, { cause: error, retriable: true });
}
