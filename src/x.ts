// `onceflow/x`: the X (Twitter) filtered-stream source. It needs no client library (it uses
// node's own fetch), but has its own entry point as every network connector does.
export { xFilteredStreamSource } from './connectors/x/source.js';
export type { XEnumeratorState, XFilteredStreamOptions, XPost, XStreamRule, XStreamSplit } from './connectors/x/source.js';
export { xReconnectDelay, xReconnectSettings } from './connectors/x/reconnect.js';
export type { XFailureKind, XReconnectOptions, XReconnectSettings } from './connectors/x/reconnect.js';
export { XMalformedLineError, XRequestError, XRulesError, XStreamConnectError } from './connectors/x/errors.js';
