/** RabbitMQ from Debian's rabbitmq-server; machines of this kind usually run one already. */
import { join } from 'node:path';
import { connect } from 'amqplib';
import { requireCommand, spawnDetached } from './lib.js';
import type { Server } from './lib.js';

async function probe(address: string): Promise<void> {
  const connection = await connect(address);
  try {
    const channel = await connection.createChannel();
    await channel.close();
  } finally {
    await connection.close();
  }
}

async function start(dir: string, log: string): Promise<number> {
  requireCommand('rabbitmq-server', 'RabbitMQ (apt-get install -y rabbitmq-server)');
  // Foreground so the recorded process group holds the Erlang VM; its own node name and
  // directories keep it clear of a system-wide RabbitMQ's state.
  return spawnDetached('rabbitmq-server', [], {
    cwd: dir,
    log,
    env: {
      RABBITMQ_NODENAME: 'onceflow@localhost',
      RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
      RABBITMQ_NODE_PORT: '5672',
      RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
      RABBITMQ_LOG_BASE: join(dir, 'log'),
      RABBITMQ_LOGS: '-',
      RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
      ERL_EPMD_ADDRESS: '127.0.0.1',
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
    },
  });
}

export const rabbitmq: Server = { name: 'rabbitmq', address: 'amqp://guest:guest@127.0.0.1:5672', probe, start, startTimeoutMs: 90_000 };
