/**
 * What onceflow attaches to a log line. Field names follow pino's conventions
 * (`err` for an error, so pino's serializer prints its stack), and every
 * line carries at least `jobId`.
 */
export interface LogFields {
  /** The job the line is about. */
  readonly jobId?: string;
  /** The checkpoint the line is about. */
  readonly checkpointId?: number;
  /** Attempt of the job (1 for the first run), or of a connection. */
  readonly attempt?: number;
  /** The error behind the line. */
  readonly err?: unknown;
  /** Anything else the line reports (`delayMs`, `store`, `peer`, `outcome`, ...). */
  readonly [field: string]: unknown;
}

/**
 * One log level: `(fields, message)` as pino takes it, or a plain message.
 * Both pino's and the console's methods fit.
 */
export type LogMethod = (fieldsOrMessage: LogFields | string, message?: string) => void;

/**
 * Where onceflow reports what an operator looks for: start, restore, restarts,
 * reconnects, drain and end at `info`, completed checkpoints at `debug`,
 * corrupt checkpoints and failures at `warn` and `error`. A pino logger or
 * `console` can be passed as is.
 */
export interface Logger {
  readonly debug: LogMethod;
  readonly info: LogMethod;
  readonly warn: LogMethod;
  readonly error: LogMethod;
}
