#!/usr/bin/env node
// `also-cache`'s entry point (the package "bin", dist/lib/cli/main.js once built). Its one job
// is to refuse a Node that is too old before anything else loads: the CLI (run.ts) and the
// library use APIs of Node 22 (Promise.withResolvers, among others), and on Node 20 the first
// such call failed deep in start-up and was reported as a bad flag. So this file imports
// nothing statically and keeps to syntax every Node with ES modules runs; the CLI is loaded
// only once the version is known to be good.
//
// The hashbang is for the published build; Node's type stripping skips it too, so
// `node lib/cli/main.ts` works from a clone.

/** The oldest Node major this package runs on (package.json "engines"). */
const REQUIRED_NODE_MAJOR = 22

const major = Number(process.versions.node.split('.')[0])
if (major < REQUIRED_NODE_MAJOR) {
  process.stderr.write(
    `also-cache [ERR_CLI_NODE_VERSION]: Node ≥ ${REQUIRED_NODE_MAJOR} is required (this is ${process.version}). ` +
      `Install Node ${REQUIRED_NODE_MAJOR} or later (https://nodejs.org/, or nvm install ${REQUIRED_NODE_MAJOR}) and run it again.\n`,
  )
  process.exit(1)
}
await import('./run.ts')
