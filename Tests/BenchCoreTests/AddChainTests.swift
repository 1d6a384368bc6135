import CXState
import Testing
@testable import BenchCore

/// Chains timed back to back must form one dependency chain, or out-of-order
/// execution overlaps them and n chains cost less than n times one.  The sum
/// proves the threading without timing anything: independent chains would
/// each start again from a constant.
@Suite struct AddChainTests {
    @Test func chainContinuesFromItsInput() {
        #expect(cx_add_chain(0, 0) == 0)
        #expect(cx_add_chain(7, 3) == 307)
        #expect(cx_add_chain(UInt64.max, 1) == 99)  // wraps like the ADDs
        #expect(cx_dependent_adds(10) == 1000)
    }

    @Test func chainsOfARegionAreThreaded() {
        let chain = AddChain(blocks: 10)
        #expect(chain.adds == 1000)
        chain.run(16)
        #expect(chain.accumulator == 16 * 1000)
        chain.run(32)
        #expect(chain.accumulator == 48 * 1000)
        chain.run(0)
        #expect(chain.accumulator == 48 * 1000)
    }
}
