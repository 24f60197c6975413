// Typed errors of the CLI. Each carries a stable `code` (match on it, never on the message)
// and the process exit code it maps to, so scripts can tell "you typed it wrong" (2) from
// "something else holds the port" (3) without parsing text. Messages say what to do.

import { AlsoCacheError } from '../foundation/index.ts'

/** Exit codes of `also-cache`. Part of the CLI's interface: scripts branch on them. */
export const ExitCode = {
  ok: 0,
  /** Startup failed for a reason not listed here (the message says which). */
  failure: 1,
  /** A flag is unknown, missing its value, or has a value out of range. */
  badFlag: 2,
  /** The HTTP port or a libp2p listen address is taken by another process. */
  addressInUse: 3,
  /** A second Ctrl-C while closing: exit at once, as shells expect (128 + SIGINT). */
  interrupted: 130,
} as const
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

export class CliError extends AlsoCacheError {
  readonly exitCode: ExitCode
  constructor(code: string, exitCode: ExitCode, message: string, options?: ErrorOptions) {
    super(code, message, options)
    this.exitCode = exitCode
  }
}

/** A flag the CLI cannot use. Exit 2; the message names the flag and a fix. */
export class BadFlagError extends CliError {
  /** The flag at fault, e.g. '--max-bytes' ('' when the problem is not one flag). */
  readonly flag: string
  constructor(flag: string, message: string, options?: ErrorOptions) {
    super('ERR_CLI_BAD_FLAG', ExitCode.badFlag, `${message}\nRun \`also-cache --help\` for every flag and its default.`, options)
    this.flag = flag
  }
}

/** An address another process already holds. Exit 3. */
export class AddressInUseError extends CliError {
  /** What was taken: 'host:port' for HTTP, a multiaddr for libp2p. */
  readonly address: string
  constructor(address: string, message: string, options?: ErrorOptions) {
    super('ERR_CLI_ADDRESS_IN_USE', ExitCode.addressInUse, message, options)
    this.address = address
  }
}
