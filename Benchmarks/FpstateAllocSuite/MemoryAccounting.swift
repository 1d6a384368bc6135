import Foundation

/// Memory held by a fleet's register-state buffers, in bytes.
public struct FleetMemory: Sendable, Equatable {
    /// Sum of the bytes asked for (header + register area per buffer).
    public var requested: Int
    /// Resident bytes counted with mincore(2) over each buffer's pages;
    /// nil for heap allocators, whose pages are shared between chunks and
    /// cannot be attributed to one buffer, and when mincore failed.
    public var residentMeasured: Int?
    /// Resident bytes from the page-rounding model: every buffer is
    /// page-aligned and fully touched, so it holds ceil(bytes / 4096) pages.
    /// nil for heap allocators.
    public var residentModel: Int?
    /// Why mincore could not count a page-granular fleet, or nil.
    public var residentError: String? = nil
}

/// Page counting for page-granular buffers.
public enum ResidentPages {
    /// Resident bytes of `blocks` by mincore(2).  Preconditions: every block
    /// is page-aligned and `reserved` is a whole number of pages.  A failed
    /// mincore is an error, never replaced by the model.
    public static func measure(_ blocks: [StateBlock]) -> Result<Int, ResidentPagesError> {
        let page = FpstateSizes.pageBytes
        var vec = [UInt8](repeating: 0, count: 64)
        var resident = 0
        for b in blocks {
            let pages = b.reserved / page
            if vec.count < pages { vec = [UInt8](repeating: 0, count: pages) }
            let ok = vec.withUnsafeMutableBufferPointer { mincore(b.base, b.reserved, $0.baseAddress) == 0 }
            guard ok else { return .failure(ResidentPagesError(errno: errno)) }
            resident += vec.prefix(pages).filter { $0 & 1 == 1 }.count * page
        }
        return .success(resident)
    }

    /// Resident bytes the page-rounding model gives for buffers of `sizes` bytes.
    public static func model(_ sizes: [Int]) -> Int {
        sizes.reduce(0) { $0 + FpstateSizes.pages($1) * FpstateSizes.pageBytes }
    }
}

/// mincore(2) failed.
public struct ResidentPagesError: Error, CustomStringConvertible {
    public var errno: Int32
    public var description: String { "mincore failed: \(String(cString: strerror(errno)))" }
}
