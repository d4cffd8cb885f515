// swift-tools-version:6.2
// In-process fuzz targets (libFuzzer) for TrestleCore's parsers of untrusted text.
// Built and run by scripts/fuzz.sh (`make fuzz`); see README.md, "Fuzzing".
import PackageDescription

let targets = [
    "FuzzRoutingScanner",
    "FuzzGitLabPayload",
    "FuzzFlowDescriptor",
    "FuzzAslanCreate",
    "FuzzConfigLoader",
    "FuzzJSONPath",
]

let package = Package(
    name: "trestle-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "trestle", path: ".."),
    ],
    targets: targets.map { name in
        .executableTarget(
            name: name,
            dependencies: [.product(name: "TrestleCore", package: "trestle")],
            path: "Sources/\(name)"
        )
    }
)
