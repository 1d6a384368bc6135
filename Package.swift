// swift-tools-version:6.0
import PackageDescription

// Data flows one way: CXState (instructions) -> BenchCore (CPU description,
// timing kernel, statistics, rows, reporters) -> Benchmarks/* (one target per
// suite) -> the `benchmark` executable.  CKVM (/dev/kvm calls and guest
// programs) feeds only the kvm suite.  BenchCompare reads written reports.
let package = Package(
    name: "xfd-bench",
    products: [
        .executable(name: "benchmark", targets: ["benchmark"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.0"),
    ],
    targets: [
        .target(name: "CXState", path: "Sources/CXState"),
        .target(name: "CKVM", path: "Sources/CKVM"),
        .systemLibrary(
            name: "CNuma", path: "Sources/CNuma", pkgConfig: "numa",
            providers: [.apt(["libnuma-dev"])]),
        .systemLibrary(
            name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),
        // The commit and dirty flag of the checkout, fixed at build time.
        .plugin(name: "SourceCheckoutPlugin", capability: .buildTool(), path: "Plugins/SourceCheckoutPlugin"),
        .target(name: "BuildInfo", path: "Sources/BuildInfo", plugins: ["SourceCheckoutPlugin"]),
        .target(name: "BenchCore", dependencies: ["CXState", "CZlib", "BuildInfo"], path: "Sources/BenchCore"),
        .target(name: "HarnessSuite", dependencies: ["BenchCore", "CXState"],
                path: "Benchmarks/HarnessSuite"),
        .target(name: "XSaveSuite", dependencies: ["BenchCore", "CXState"],
                path: "Benchmarks/XSaveSuite"),
        .target(name: "RdmsrExitSuite", dependencies: ["BenchCore", "CXState"],
                path: "Benchmarks/RdmsrExitSuite"),
        .target(name: "FpstateAllocSuite", dependencies: ["BenchCore", "CXState", "CNuma"],
                path: "Benchmarks/FpstateAllocSuite"),
        .target(name: "KvmSuite", dependencies: ["BenchCore", "CXState", "CKVM"],
                path: "Benchmarks/KvmSuite"),
        .target(name: "BenchCompare",
                dependencies: ["BenchCore", .product(name: "CSV", package: "CSV.swift")],
                path: "Sources/BenchCompare"),
        // The results store: SQLite (embedded, linked) or PostgreSQL (libpq,
        // opened at run time only when used: see BenchStore/LibPQ.swift).
        .systemLibrary(
            name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]),
        .target(name: "BenchStore",
                dependencies: ["BenchCore", "BenchCompare", "CSQLite",
                               .product(name: "CSV", package: "CSV.swift")],
                path: "Sources/BenchStore"),
        .executableTarget(
            name: "benchmark",
            dependencies: [
                "BenchCore", "BenchCompare", "HarnessSuite", "XSaveSuite", "RdmsrExitSuite",
                "FpstateAllocSuite", "KvmSuite", "BenchStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/benchmark"),
        .testTarget(name: "BenchCoreTests",
                    dependencies: ["BenchCore", .product(name: "CSV", package: "CSV.swift")]),
        .testTarget(name: "HarnessSuiteTests", dependencies: ["HarnessSuite", "BenchCore"]),
        .testTarget(name: "XSaveSuiteTests", dependencies: ["XSaveSuite", "BenchCore"]),
        .testTarget(name: "RdmsrExitSuiteTests", dependencies: ["RdmsrExitSuite", "BenchCore"]),
        .testTarget(name: "FpstateAllocSuiteTests",
                    dependencies: ["FpstateAllocSuite", "BenchCore"]),
        .testTarget(name: "KvmSuiteTests", dependencies: ["KvmSuite", "BenchCore", "CKVM"]),
        .testTarget(name: "BenchStoreTests", dependencies: ["BenchStore", "BenchCompare", "BenchCore", "BuildInfo"]),
        .testTarget(name: "BenchCompareTests", dependencies: ["BenchCompare", "BenchCore", "XSaveSuite"]),
        // The suites' source tables: a run's rows are checked against them.
        .testTarget(name: "CLITests",
                    dependencies: ["BenchCore", "HarnessSuite", "XSaveSuite", "KvmSuite", "RdmsrExitSuite",
                                   "FpstateAllocSuite", .product(name: "CSV", package: "CSV.swift")]),
    ],
    swiftLanguageModes: [.v5]
)
