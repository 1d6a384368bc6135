import Foundation

/// A 64-byte aligned XSAVE area: the buffer the XSAVE family writes and
/// XRSTOR reads.  Owns its memory.
///
/// The instructions themselves are in CXState (cx_xsave.h); whoever runs
/// one on `base` has checked `CPUDescription.unavailableReason(_:)` and that
/// the buffer is large enough for the mask (`XSaveLayout.standardSize(for:)`
/// or `compactedSize(for:)`).
public final class XSaveBuffer {
    /// Usable size in bytes.
    public let size: Int
    public let base: UnsafeMutableRawPointer

    /// Byte value `fill(sentinel:)` writes, so bytes an instruction did not
    /// write can be told apart from bytes it wrote.
    public static let sentinel: UInt8 = 0xA5

    /// Allocates `size` bytes (rounded up to `alignment`), zeroed.  The
    /// instructions need 64; 4096 keeps page crossings the same from run to
    /// run, so timings do not depend on where the allocator put the area.
    /// Returns nil when the allocation fails.
    /// Precondition: `alignment` is a power of two, at least 64.
    public init?(size: Int, alignment: Int = 64) {
        precondition(size > 0 && alignment >= 64 && alignment & (alignment - 1) == 0)
        let rounded = (size + alignment - 1) & ~(alignment - 1)
        var p: UnsafeMutableRawPointer?
        guard posix_memalign(&p, alignment, rounded) == 0, let p else { return nil }
        memset(p, 0, rounded)
        self.size = rounded
        base = p
    }

    deinit { free(base) }

    /// Fills the whole area with `byte`.
    public func fill(_ byte: UInt8 = XSaveBuffer.sentinel) { memset(base, Int32(byte), size) }

    /// XSTATE_BV (header bytes 0-7): components not in their init state when saved.
    public var xstateBV: UInt64 { base.load(fromByteOffset: 512, as: UInt64.self) }

    /// Bytes that differ from `byte` (after `fill(byte)` and one save: the
    /// bytes the save wrote, give or take bytes it wrote with `byte` itself).
    public func bytesDiffering(from byte: UInt8 = XSaveBuffer.sentinel) -> Int {
        let p = base.assumingMemoryBound(to: UInt8.self)
        var n = 0
        for i in 0..<size where p[i] != byte { n += 1 }
        return n
    }

    /// Offset one past the last byte that differs from `byte`, or 0.
    public func extentDiffering(from byte: UInt8 = XSaveBuffer.sentinel) -> Int {
        let p = base.assumingMemoryBound(to: UInt8.self)
        var i = size
        while i > 0 && p[i - 1] == byte { i -= 1 }
        return i
    }
}
