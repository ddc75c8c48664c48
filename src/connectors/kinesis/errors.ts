import { messageOf, OnceflowError } from '../../errors.js';

// Error names the Kinesis API gives to conditions that clear up by themselves: a
// shard over its read or write rate, a busy KMS key, a fault on AWS's side.
const throttlingNames = new Set(['ProvisionedThroughputExceededException', 'LimitExceededException', 'KMSThrottlingException', 'ThrottlingException']);
const transientNames = new Set(['InternalFailure', 'InternalFailureException', 'ServiceUnavailable', 'ServiceUnavailableException', 'ResourceInUseException']);
// The caller is not who it says, or may not do this: the same every time until someone fixes the setup.
const accessNames = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'AccessDeniedException',
  'ExpiredTokenException',
  'IncompleteSignature',
  'MissingAuthenticationToken',
  'KMSAccessDeniedException',
  'KMSDisabledException',
  'KMSNotFoundException',
]);

/** The name an AWS SDK error carries (`ProvisionedThroughputExceededException`), or an entry's `ErrorCode`. */
export function awsErrorName(error: unknown): string | undefined {
  const name = (error as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' ? name : undefined;
}

/** Whether Kinesis said the shard or account is over its rate: back off and try again, never fail for it. */
export function isThrottling(error: unknown): boolean {
  return throttlingNames.has(awsErrorName(error) ?? '');
}

/** A stream or shard the connector was told to use does not exist. Not retriable: it will not appear by itself. */
export class KinesisStreamNotFoundError extends OnceflowError {
  override readonly name = 'KinesisStreamNotFoundError';
  constructor(
    /** The stream at fault. */
    readonly streamName: string,
    cause: unknown,
  ) {
    super(`Kinesis stream '${streamName}' does not exist (or is not in the client's region and account): ${messageOf(cause)}`, { cause, retriable: false });
  }
}

/** Kinesis refused the client's credentials or permissions. Not retriable: fix the credentials or the policy. */
export class KinesisAccessError extends OnceflowError {
  override readonly name = 'KinesisAccessError';
  constructor(
    /** The stream the call was for. */
    readonly streamName: string,
    cause: unknown,
  ) {
    super(`Kinesis refused access to stream '${streamName}' (check the client's credentials, region and IAM policy): ${messageOf(cause)}`, { cause, retriable: false });
  }
}

/** Any other failed Kinesis call; `retriable` as the cause says (throttling, faults on AWS's side and network errors are). */
export class KinesisRequestError extends OnceflowError {
  override readonly name = 'KinesisRequestError';
  constructor(
    /** The stream the call was for. */
    readonly streamName: string,
    /** The API action (`GetRecords`, `PutRecords`, `ListShards`). */
    readonly action: string,
    /** The shard, when the call was for one. */
    readonly shardId: string | undefined,
    cause: unknown,
    retriable: boolean,
  ) {
    const where = shardId === undefined ? `stream '${streamName}'` : `shard '${shardId}' of stream '${streamName}'`;
    super(`Kinesis ${action} on ${where} failed: ${messageOf(cause)}`, { cause, retriable });
  }
}

/**
 * An error of the SDK as one of the named classes above. Throttling, AWS-side
 * faults, 5xx answers and network errors (no `$metadata`, no known name) are
 * retriable; a 4xx the API names otherwise (a bad argument) is not.
 */
export function kinesisError(streamName: string, action: string, shardId: string | undefined, error: unknown): Error {
  const name = awsErrorName(error) ?? '';
  if (name === 'ResourceNotFoundException') return new KinesisStreamNotFoundError(streamName, error);
  if (accessNames.has(name)) return new KinesisAccessError(streamName, error);
  const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  const retriable = throttlingNames.has(name) || transientNames.has(name) || status === undefined || status >= 500;
  return new KinesisRequestError(streamName, action, shardId, error, retriable);
}
