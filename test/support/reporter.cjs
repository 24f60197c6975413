// Mocha's dot reporter plus one plain closing line, "mocha: N passed, N failed, N skipped",
// so that CI logs state the count in a runner-neutral form.
'use strict'
const Mocha = require('mocha')

class DotWithSummary extends Mocha.reporters.Dot {
  constructor(runner, options) {
    super(runner, options)
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const s = this.stats
      process.stdout.write(`mocha: ${s.passes} passed, ${s.failures} failed, ${s.pending} skipped\n`)
    })
  }
}

module.exports = DotWithSummary
