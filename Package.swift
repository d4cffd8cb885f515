// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "trestle",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "trestle", targets: ["trestle"]),
        .library(name: "TrestleCore", targets: ["TrestleCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        .target(
            name: "TrestleCore",
            dependencies: [.product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),
        .systemLibrary(
            name: "CLibGit2",
            pkgConfig: "libgit2",
            providers: [.apt(["libgit2-dev"])]
        ),
        .target(
            name: "TrestleGit",
            dependencies: ["CLibGit2", "TrestleCore"],
            swiftSettings: swiftSettings
        ),
        // The store's roles, apart from any engine; each engine module alone imports its database library.
        .target(
            name: "TrestleStore",
            dependencies: ["TrestleCore"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TrestleSQLite",
            dependencies: [
                "TrestleCore", "TrestleStore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TrestlePostgres",
            dependencies: [
                "TrestleCore", "TrestleStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TrestleRunner",
            dependencies: [
                .product(name: "Metrics", package: "swift-metrics"),
                "TrestleCore", "TrestleStore", "TrestleGit",
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TrestleServer",
            dependencies: [
                "TrestleCore", "TrestleStore", "TrestleSQLite", "TrestlePostgres", "TrestleGit", "TrestleRunner",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            resources: [
                .embedInCode("OpenAPI/openapi.yaml"),
                .embedInCode("Dashboard/Templates/layout.mustache"),
                .embedInCode("Dashboard/Templates/sign-in.mustache"),
                .embedInCode("Dashboard/Templates/tasks.mustache"),
                .embedInCode("Dashboard/Templates/task.mustache"),
                .embedInCode("Dashboard/Templates/log.mustache"),
                .embedInCode("Dashboard/Templates/message.mustache"),
                .embedInCode("Dashboard/Templates/deliveries.mustache"),
                .embedInCode("Dashboard/Templates/delivery.mustache"),
                .embedInCode("Dashboard/Templates/workflows.mustache"),
                .embedInCode("Dashboard/Templates/mirrors.mustache"),
                .embedInCode("Dashboard/Assets/dashboard.css"),
                .embedInCode("Dashboard/Assets/dashboard.js"),
            ],
            swiftSettings: swiftSettings
        ),
        .systemLibrary(name: "CMalloc"),
        .executableTarget(
            name: "trestle",
            dependencies: [
                "TrestleServer", "TrestleCore", "TrestleStore", "TrestleSQLite", "TrestlePostgres", "TrestleGit", "TrestleRunner", "CMalloc",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TrestleTestSupport",
            path: "Tests/TrestleTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TrestleCoreTests",
            dependencies: ["TrestleCore", "TrestleTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TrestleGitTests",
            dependencies: ["TrestleGit", "TrestleCore", "TrestleTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TrestleStoreTests",
            dependencies: ["TrestleStore", "TrestleSQLite", "TrestlePostgres", "TrestleCore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TrestleRunnerTests",
            dependencies: ["TrestleRunner", "TrestleCore", "TrestleStore", "TrestleGit", "TrestleTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "TrestleServerTests",
            dependencies: [
                "TrestleServer", "TrestleCore", "TrestleStore", "TrestleSQLite", "TrestlePostgres", "TrestleGit", "TrestleRunner",
                "TrestleTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            resources: [.copy("Fixtures")],
            swiftSettings: swiftSettings
        ),
    ]
)
