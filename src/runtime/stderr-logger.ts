import type { LogFields, Logger, LogMethod } from '../contracts/logger.js';
import { ConfigurationError, messageOf } from '../errors.js';

/** The levels of a {@link Logger}, least severe first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const levels: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** `message (jobId=wordcount checkpointId=3): error message`, one line, for people reading stderr. */
export function formatLogLine(fieldsOrMessage: LogFields | string, message?: string): string {
  if (typeof fieldsOrMessage === 'string') return fieldsOrMessage;
  const { err, ...rest } = fieldsOrMessage;
  const pairs = Object.entries(rest)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  let line = message ?? '';
  if (pairs.length > 0) line += ` (${pairs.join(' ')})`;
  if (err !== undefined) line += `: ${messageOf(err)}`;
  return line;
}

/**
 * The default logger: lines at `level` and above to stderr, prefixed
 * `onceflow:`. Default level `warn`, so a job that runs well prints nothing;
 * `stderrLogger('info')` also shows start, restore, restarts and end, and
 * `'debug'` every completed checkpoint.
 */
export function stderrLogger(level: LogLevel = 'warn'): Logger {
  const threshold = levels.indexOf(level);
  if (threshold < 0) throw new ConfigurationError(`stderrLogger level must be one of ${levels.join(', ')}, got ${JSON.stringify(level)}`);
  const method = (at: LogLevel): LogMethod =>
    levels.indexOf(at) < threshold ? () => {} : (fieldsOrMessage, message) => console.error(`onceflow: ${formatLogLine(fieldsOrMessage, message)}`);
  return { debug: method('debug'), info: method('info'), warn: method('warn'), error: method('error') };
}
