/** How line-oriented sinks write a record by default: strings as they are, anything else as JSON. */
export function defaultLineFormat(record: unknown): string {
  return typeof record === 'string' ? record : JSON.stringify(record);
}
