import CXState

/// Dependent-add chains run back to back as one dependency chain.
///
/// A body that runs `n` chains in a timed region must thread them through
/// one accumulator: chains that each start from a constant are independent,
/// and out-of-order execution overlaps the head of one with the tail of the
/// previous (on a Zen 4 VM, 16 independent 1,000-add chains per region
/// measured ~6-8 % below 16 times one chain).  `AddChain` keeps the
/// accumulator, so every chain waits for the one before it and `n` chains
/// cost `n` times one.
public final class AddChain: @unchecked Sendable {
    /// Blocks of 100 adds per chain.
    public let blocks: UInt64
    /// The running sum: `100 * blocks` more after every chain.  Reading it
    /// proves the chains were threaded (independent chains would leave
    /// `100 * blocks` after any number of them).
    public private(set) var accumulator: UInt64 = 0

    /// Precondition: `blocks >= 1`.
    public init(blocks: UInt64) {
        precondition(blocks >= 1)
        self.blocks = blocks
    }

    /// Adds per chain.
    public var adds: UInt64 { 100 * blocks }

    /// Runs `chains` chains, each continuing from the previous one's sum:
    /// `chains * adds` dependent adds.  The body handed to the timing kernel.
    /// One call of the C loop for all of them: a Swift loop per chain costs
    /// ~14 ticks per chain in a debug build (an iterator call), which the
    /// differenced figure keeps and a one-chain region's intercept absorbs,
    /// so `per_chain / slope` read ~1.02 in debug and 1.00 in release.
    /// Precondition: `chains >= 0`.
    public func run(_ chains: Int) {
        precondition(chains >= 0)
        accumulator = cx_add_chain(accumulator, blocks &* UInt64(chains))
    }
}
