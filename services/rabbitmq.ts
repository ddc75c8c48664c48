/** RabbitMQ from Debian's rabbitmq-server; machines of this kind usually run one already. */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'amqplib';
import { requireCommand, spawnDetached } from './lib.js';
import type { Server } from './lib.js';

const port = 5672;

async function probe(address: string): Promise<void> {
  const connection = await connect(address);
  try {
    const channel = await connection.createChannel();
    await channel.close();
  } finally {
    await connection.close();
  }
}

/**
 * Debian's /usr/sbin/rabbitmq-server, run by root, re-runs itself as the rabbitmq user
 * through su, which puts the Erlang VM in a session of its own: stopping our process group
 * would then leave RabbitMQ running. The upstream script behind it runs as root as it is.
 */
function rabbitmqServerCommand(): string {
  const upstream = '/usr/lib/rabbitmq/bin/rabbitmq-server';
  if (existsSync(upstream)) return upstream;
  requireCommand('rabbitmq-server', 'RabbitMQ (apt-get install -y rabbitmq-server)');
  return 'rabbitmq-server';
}

async function start(dir: string, log: string): Promise<number> {
  const command = rabbitmqServerCommand();
  // Our own config files, so a machine's /etc/rabbitmq (which may pin another listener or
  // node name) cannot change where this node listens.
  const config = join(dir, 'rabbitmq.conf');
  writeFileSync(config, `listeners.tcp.local = 127.0.0.1:${port}\nloopback_users.guest = true\n`);
  writeFileSync(join(dir, 'rabbitmq-env.conf'), '');
  // Foreground so the recorded process group holds the Erlang VM; its own node name and
  // directories keep it clear of a system-wide RabbitMQ's state.
  return spawnDetached(command, [], {
    cwd: dir,
    log,
    env: {
      RABBITMQ_NODENAME: 'onceflow@localhost',
      RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
      RABBITMQ_NODE_PORT: String(port),
      RABBITMQ_CONFIG_FILE: config,
      RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
      RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
      RABBITMQ_LOG_BASE: join(dir, 'log'),
      RABBITMQ_LOGS: '-',
      RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
      ERL_EPMD_ADDRESS: '127.0.0.1',
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
    },
  });
}

export const rabbitmq: Server = { name: 'rabbitmq', address: `amqp://guest:guest@127.0.0.1:${port}`, probe, start, startTimeoutMs: 90_000 };
