// The types of the SWIM core's surface (swim.ts): its init, what members() returns, the
// events and sends it hands out, and its counters.

import type { MemberDirectory } from './directory.ts'
import type { MemberStateName } from './member-state.ts'
import type { SwimConfigInit } from './config.ts'

export interface SwimInit {
  /** This node's id (its libp2p peer id later). */
  id: string
  /** Addresses gossiped with this node's alive updates. @default [] */
  addrs?: readonly string[]
  /**
   * This run's epoch: a number that differs for each start of a node with this id and grows
   * from one start to the next (the node gives the wall clock at start). Carried by this node's
   * alive updates, so a node that hears of its own id with another epoch can tell another
   * process runs with it (twin.ts, pollTwin). @default 0: no epoch, twins are not looked for
   */
  epoch?: number
  /** Seed of the node's PRNG: one seed, one run. */
  seed: number
  /** The current time; later inputs must not go back before it. */
  nowMs: number
  /**
   * A starting view: members taken as alive at incarnation 0, without events and without
   * announcing this node (it is taken to be already among them). Without it, the node
   * announces itself and learns members through join().
   */
  members?: readonly string[]
  config?: SwimConfigInit
  /** @internal Simulators share one directory among many cores (see directory.ts). */
  directory?: MemberDirectory
}

/** One member as the adapter sees it. */
export interface Member {
  id: string
  state: MemberStateName
  incarnation: number
  addrs: readonly string[]
}

/** A change in this node's view of another member. `by` is the accuser for suspect/dead. */
export interface MemberEvent extends Member {
  by: string
}

export interface Outgoing {
  to: string
  bytes: Uint8Array
}

export interface SwimStats {
  messagesSent: number
  bytesSent: number
  messagesReceived: number
  /** Messages that did not decode: counted and dropped (G7). */
  decodeErrors: number
  refutations: number
  suspicionsStarted: number
  deathsDeclared: number
  /** Alive updates for new members refused at membersMax. */
  membersRefused: number
  relaysDropped: number
  /** Pings sent to suspects shortly before their suspicion expired (expiry-check.ts). */
  expiryChecks: number
  /** Other processes (epochs) found running with this node's id (twin.ts). */
  twins: number
}


export function newStats(): SwimStats {
  return {
    messagesSent: 0,
    bytesSent: 0,
    messagesReceived: 0,
    decodeErrors: 0,
    refutations: 0,
    suspicionsStarted: 0,
    deathsDeclared: 0,
    membersRefused: 0,
    relaysDropped: 0,
    expiryChecks: 0,
    twins: 0,
  }
}
