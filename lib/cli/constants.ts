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
 * Longest key, in bytes of UTF-8 after URL-decoding. Keys travel in every delta and live in
 * every replica; 1 KiB keeps a key an identifier, not a payload.
 */
export const MAX_KEY_BYTES = 1024

/** How long a graceful shutdown may take before the process exits anyway (exit 1). */
export const SHUTDOWN_TIMEOUT_MS = 10_000
