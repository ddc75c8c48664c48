/**
 * The one variable per system that points tests at a server. Kept free of imports so
 * test helpers can read it without loading the harness and its client libraries.
 */
export const envVars = {
  kafka: 'ONCEFLOW_KAFKA_BROKERS',
  cassandra: 'ONCEFLOW_CASSANDRA_CONTACT_POINTS',
  elasticsearch: 'ONCEFLOW_ELASTICSEARCH_URL',
  hdfs: 'ONCEFLOW_HDFS_WEBHDFS_URL',
  kinesis: 'ONCEFLOW_KINESIS_ENDPOINT',
  redis: 'ONCEFLOW_REDIS_URL',
  rabbitmq: 'ONCEFLOW_RABBITMQ_URL',
} as const;

export type ServiceName = keyof typeof envVars;

export const serviceNames = Object.keys(envVars) as ServiceName[];

export function isServiceName(name: string): name is ServiceName {
  return Object.hasOwn(envVars, name);
}
