import BenchCore

/// The source of every row kind of `fpstate-alloc`, in one place.  Sizes
/// and everything computed from them are `model` (a CPUID leaf 0xD through
/// Linux's sizing rules, the host's included); latencies timed through an
/// allocator carry its source (`proxy` for mmap standing in for vzalloc);
/// counts and numa timings are `measured`.
public enum FpstateAllocRowSources {
    public enum Rule: Sendable, Equatable {
        case fixed(FigureSource)
        /// The source of the allocator in the row's `allocator` parameter.
        case allocator
    }

    /// `benchmark/metric` -> rule.
    public static let table: [String: Rule] = {
        var t: [String: Rule] = [:]
        for m in ["header_bytes", "default_register_bytes", "expanded_register_bytes", "default_buffer_bytes",
                  "expanded_buffer_bytes", "default_pages", "expanded_pages",
                  "create_buffer_bytes_5_17_to_6_14", "create_buffer_bytes_6_15_on"] {
            t["sizes/" + m] = .fixed(.model)
        }
        for m in ["create_ticks", "set_cpuid_ticks", "first_use_ticks", "destroy_ticks"] { t["lifecycle/" + m] = .allocator }
        for m in ["allocations", "frees", "unfreed_buffers"] { t["lifecycle/" + m] = .fixed(.measured) }
        t["cold-heap/create_ticks"] = .allocator
        for m in ["allocations", "frees", "unfreed_buffers"] { t["cold-heap/" + m] = .fixed(.measured) }
        for m in ["requested_bytes", "requested_bytes_per_vcpu", "resident_bytes_model", "resident_bytes_per_vcpu"] {
            t["memory/" + m] = .fixed(.model)
        }
        t["memory/resident_bytes"] = .fixed(.proxy)
        t["memory/unfreed_buffers"] = .fixed(.measured)
        for m in ["create_ticks", "touch_ticks", "touch_extra_ticks"] { t["numa-remote/" + m] = .fixed(.measured) }
        t["crossover/first_use_added_ticks_per_adopter"] = .allocator
        for m in ["memory_saved_bytes", "first_use_added_ticks_per_adopter_with_exit", "first_use_added_ticks_fleet",
                  "kib_saved_per_added_us", "fleet_allocation_ticks"] {
            t["crossover/" + m] = .fixed(.model)
        }
        t["failure-mode/fails_before_guest_runs"] = .fixed(.model)
        t["failure-mode/unfreed_buffers"] = .fixed(.measured)
        return t
    }()

    public static func kind(_ row: ResultRow) -> String { row.benchmark + "/" + row.metric }

    /// The source `row` must carry, or nil for an undeclared kind.
    public static func expected(_ row: ResultRow) -> FigureSource? {
        switch table[kind(row)] {
        case .fixed(let s): return s
        case .allocator:
            return row.params["allocator"].map { $0 == AllocatorKind.mmap.rawValue ? .proxy : .measured }
        case nil: return nil
        }
    }
}
