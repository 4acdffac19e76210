/**
 * Span attribute names. The OpenTelemetry semantic conventions for GraphQL and messaging are still "incubating",
 * and their package asks users to copy such names rather than import them (they may change in a minor release);
 * the few stable ones are copied too, so that nothing of the telemetry packages but the API is loaded while
 * tracing is off. The `orderstream.*` names are this service's own.
 */

// Database (stable: https://opentelemetry.io/docs/specs/semconv/database/database-spans/)
export const ATTR_DB_SYSTEM_NAME = 'db.system.name';
export const ATTR_DB_OPERATION_NAME = 'db.operation.name';
export const ATTR_DB_COLLECTION_NAME = 'db.collection.name';

// Errors and HTTP (stable)
export const ATTR_ERROR_TYPE = 'error.type';
export const ATTR_HTTP_REQUEST_METHOD = 'http.request.method';
export const ATTR_HTTP_RESPONSE_STATUS_CODE = 'http.response.status_code';

// GraphQL (https://opentelemetry.io/docs/specs/semconv/graphql/graphql-spans/)
export const ATTR_GRAPHQL_OPERATION_TYPE = 'graphql.operation.type';
export const ATTR_GRAPHQL_OPERATION_NAME = 'graphql.operation.name';

// Messaging (https://opentelemetry.io/docs/specs/semconv/messaging/messaging-spans/)
export const ATTR_MESSAGING_SYSTEM = 'messaging.system';
export const ATTR_MESSAGING_OPERATION_TYPE = 'messaging.operation.type';
export const ATTR_MESSAGING_OPERATION_NAME = 'messaging.operation.name';
export const ATTR_MESSAGING_DESTINATION_NAME = 'messaging.destination.name';
export const ATTR_MESSAGING_BATCH_MESSAGE_COUNT = 'messaging.batch.message_count';

// orderstream
/** `ok`, or the code of the operation's first error (the same outcome the metrics and the log line carry). */
export const ATTR_OUTCOME = 'orderstream.outcome';
export const ATTR_ROOT_FIELDS = 'orderstream.graphql.root_fields';
export const ATTR_TRANSPORT = 'orderstream.graphql.transport';
export const ATTR_COMMAND_TYPE = 'orderstream.command.type';
export const ATTR_COMMAND_ID = 'orderstream.command.id';
export const ATTR_COMMAND_ATTEMPTS = 'orderstream.command.attempts';
export const ATTR_CORRELATION_ID = 'orderstream.correlation_id';
export const ATTR_CAUSATION_ID = 'orderstream.causation_id';
export const ATTR_AGGREGATE_TYPE = 'orderstream.aggregate.type';
export const ATTR_AGGREGATE_ID = 'orderstream.aggregate.id';
export const ATTR_EVENT_COUNT = 'orderstream.events';
export const ATTR_EVENT_TYPES = 'orderstream.event.types';
export const ATTR_EXPECTED_VERSION = 'orderstream.expected_version';
export const ATTR_PROJECTOR = 'orderstream.projector';
/** Log positions are 64-bit: as decimal strings. */
export const ATTR_POSITION_FROM = 'orderstream.position.from';
export const ATTR_POSITION_TO = 'orderstream.position.to';
/** The subscriptions (and the read-model feed) a page of live events was handed to. */
export const ATTR_SUBSCRIBERS_WOKEN = 'orderstream.subscribers.woken';
