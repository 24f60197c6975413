// Defaults of the `also-cache` CLI, each with why. The node's own defaults (listen address,
// cluster name, store size, SWIM profile) stay in lib/node/constants.ts; the CLI repeats
// none of them, so `also-cache` with no flags runs exactly `createCacheNode()`.

/**
 * Where the HTTP API listens. Loopback because the API has no authentication: whoever can
 * reach it can read and overwrite every key (a non-loopback host needs --http-public).
 * 7070: unassigned by IANA for anything common, and easy to type in a curl command.
 */
export const DEFAULT_HTTP_HOST = '127.0.0.1'
export const DEFAULT_HTTP_PORT = 7070

/**
 * Largest request body (a value) the HTTP API reads; past it the answer is 413 and nothing
 * is stored. 1 MiB: a cache value bigger than that is rare, and the node's store refuses an
 * entry above its small queue (10 % of --max-bytes) anyway. Raise with --max-body.
 */
export const DEFAULT_HTTP_MAX_BODY_BYTES = 1024 * 1024

/**
 * Longest key the HTTP API takes, in bytes of UTF-8 after URL-decoding: 16 KiB. The library
 * admits keys up to 64 KiB (crdt MAX_KEY_BYTES), but an HTTP key travels in the request line,
 * where each byte may take three characters (%XX): a 64 KiB key would need ~192 KiB request
 * lines, which proxies and clients refuse (common limits are 8–64 KiB) and which would let
 * every connection hold that much header memory. 16 KiB keeps any key, fully encoded (48 KiB),
 * within HTTP_MAX_HEADER_BYTES. A longer key written through the library is listed by
 * GET /keys but cannot be read or written over HTTP: hash long identifiers.
 */
export const MAX_HTTP_KEY_BYTES = 16 * 1024

/**
 * Largest request line plus headers (Node's maxHeaderSize; its default is 16 KiB): the
 * longest key fully percent-encoded (3 × MAX_HTTP_KEY_BYTES) plus Node's default 16 KiB for
 * the method, query and headers. Past it the answer is 431 ERR_HEADERS_TOO_LARGE (JSON).
 * Cost: up to this much parser memory per connection while headers arrive.
 */
export const HTTP_MAX_HEADER_BYTES = 3 * MAX_HTTP_KEY_BYTES + 16 * 1024

/**
 * Most open HTTP connections (server.maxConnections); a connection past it is closed at once,
 * unanswered. 1024 serves hundreds of concurrent clients (a chaos run used 300) while bounding
 * what slow clients can hold: 1024 × HTTP_MAX_HEADER_BYTES (64 MiB) of headers at most, and
 * bodies within MAX_HTTP_BODY_BYTES_IN_FLIGHT.
 */
export const HTTP_MAX_CONNECTIONS = 1024

/**
 * How long a client may take to send its request headers (Node's headersTimeout; its default
 * is 60 s). Past it: 408 ERR_REQUEST_TIMEOUT and the connection closes. 10 s: a client on
 * loopback or a LAN sends headers in milliseconds; a slow-loris client holds a slot this long.
 */
export const HTTP_HEADERS_TIMEOUT_MS = 10_000

/**
 * How long a client may take to send a whole request, body included (Node's requestTimeout;
 * its default is 300 s). Past it: 408 and the connection closes. 30 s carries the default
 * --max-body (1 MiB) at ≥ 35 KB/s. It does not bound the answer: an `ack=all` PUT may wait
 * longer for its acknowledgements once its body is in.
 */
export const HTTP_REQUEST_TIMEOUT_MS = 30_000

/**
 * Most request-body bytes buffered at once, over all requests (a PUT's body is held until its
 * write is applied). Past it a PUT gets 503 ERR_BUSY (retry later) without its body being
 * read. 64 MiB, raised to --max-body if that is larger so that one largest body always fits.
 */
export const MAX_HTTP_BODY_BYTES_IN_FLIGHT = 64 * 1024 * 1024

/** Keys GET /keys returns without `limit`, and the most it returns with one (a bound on the answer's size). */
export const DEFAULT_HTTP_LIST_LIMIT = 100
export const MAX_HTTP_LIST_LIMIT = 10_000

/**
 * How long a graceful shutdown (SIGTERM, SIGINT) may take before the process exits anyway,
 * with exit 1 and the step that hung named (--shutdown-timeout). The node's close() waits at
 * most leaveTimeoutMs (1 s) for each of: flushing queued batches, the SWIM "left" broadcast,
 * stopping the replication streams; then libp2p stops and the snapshot (if configured) is
 * written, which takes milliseconds to a second or two for a full 64 MiB store. 10 s covers
 * that several times over and stays well inside Kubernetes' default grace period (30 s),
 * after which the process would be killed with no say in what is logged.
 */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000

/** The longest --shutdown-timeout: 10 minutes (and below setTimeout's 2^31 − 1 ms). */
export const MAX_SHUTDOWN_TIMEOUT_MS = 600_000
