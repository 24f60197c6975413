import { expect } from 'chai'
describe('toolchain', () => {
  it('runs TypeScript tests on Node >= 22', () => {
    expect(Number(process.versions.node.split('.')[0])).to.be.at.least(22)
  })
})
