// swift-tools-version: 6.1
//
// siptrunk: connect a SIP trunk and keep it healthy, from a terminal.
// Target layout and the import rules between targets follow the architecture notes:
// SIPCore is pure protocol logic with no I/O; the executable is the only place concrete I/O is wired.

import PackageDescription

let package = Package(
    name: "siptrunk",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "siptrunk", targets: ["siptrunk"]),
        .library(name: "SIPCore", targets: ["SIPCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.0.0"..<"5.0.0"),
        .package(url: "https://github.com/google/swift-benchmark.git", from: "0.1.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.30.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.10.0"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.4.0"),
        // The /v1/sip HTTP API (issue 17). Its default traits pull swift-configuration, which nothing here uses.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.34.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        // multipart/form-data for the porting document upload.
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.0"),
        // Alert webhooks and SMS requests (issue 15).
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.25.0"),
    ],
    targets: [
        // libcrypto from the system (libssl-dev) for SHA-512/256, which swift-crypto does not expose.
        .systemLibrary(name: "CLibCrypto", path: "Sources/CLibCrypto"),
        // c-ares from the system (libc-ares-dev) for DNS A/AAAA/SRV with a selectable name server.
        .systemLibrary(name: "CAres", path: "Sources/CAres"),
        // libsrtp2 from the system (libsrtp2-dev): SRTP for test-call media.
        .systemLibrary(name: "CSRTP", path: "Sources/CSRTP"),
        // Four libraries only some commands use are opened on first use, not linked: with their dependencies they
        // would load some sixty shared objects into every process (CLibraryLoader.h). Their headers come from the
        // -dev packages; each target's C file binds the functions it wraps.
        .target(name: "CLibraryLoader", path: "Sources/CLibraryLoader"),
        // libpcap from the system (libpcap-dev): pcap/pcapng import and live capture (issue 16).
        .target(name: "CPcap", dependencies: ["CLibraryLoader"], path: "Sources/CPcap"),
        // cairo from the system (libcairo2-dev): the Letter of Authorization as a PDF (issue 18).
        .target(name: "CCairo", dependencies: ["CLibraryLoader"], path: "Sources/CCairo"),
        // libcurl from the system (libcurl4-openssl-dev): alert emails over SMTP with STARTTLS and AUTH (issue 15).
        .target(name: "CCurl", dependencies: ["CLibraryLoader"], path: "Sources/CCurl"),
        // libphonenumber from the system (libphonenumber-dev) behind a C interface: numbering plans for number checks.
        .target(
            name: "CPhoneNumber",
            dependencies: ["CLibraryLoader"],
            path: "Sources/CPhoneNumber",
            linkerSettings: [.linkedLibrary("stdc++")]
        ),

        /// SIP message model, parser and serializer, URIs, destinations, E.164, SDP, digest auth.
        .target(
            name: "SIPCore",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                "CLibCrypto",
            ]
        ),

        /// Transactions, probes and tracing, over injected clock and transport protocols (no sockets here).
        /// SIPEngine, SIPNetwork and SIPRuntime are built without run-time exclusivity checks in release builds only:
        /// their state is confined to one event loop, and the checks were 9% of a probe's instructions under
        /// callgrind (issue 20). Debug builds — the tests and the fuzzer — keep them.
        .target(
            name: "SIPEngine",
            dependencies: ["SIPCore"],
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
        ),

        /// SIP over real sockets with SwiftNIO (UDP, TCP, TLS via swift-nio-ssl, certificates checked with swift-certificates),
        /// the event-loop clock, and DNS through c-ares.
        .target(
            name: "SIPNetwork",
            dependencies: [
                "SIPCore", "CAres", "CSRTP", "CPcap",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
        ),

        /// SIPEngine's protocols satisfied by SIPNetwork's SwiftNIO types (transport, clock, DNS, RTP), and the
        /// engine on one event loop: shared by the executable and the benchmarks.
        .target(
            name: "SIPRuntime",
            dependencies: [
                "SIPCore", "SIPEngine", "SIPNetwork",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
        ),

        /// The terminal UI toolkit, without ncurses: frames of cells, themes by role, widgets, key bindings.
        .target(name: "TUIKit"),

        /// ncursesw for Swift: the module map and a shim for macros, variadics and globals.
        .systemLibrary(name: "CNCursesW", path: "Sources/CNCursesW"),

        /// The only code that calls ncurses: the terminal's set-up and restore, signals, keys, diffed frames.
        .target(name: "TUICurses", dependencies: ["TUIKit", "CNCursesW", .product(name: "SystemPackage", package: "swift-system")]),

        /// The screens: the set-up wizard (and later the dashboard), drawn with TUIKit from TrunkCore's state.
        .target(name: "TrunkTUI", dependencies: ["TUIKit", "TrunkCore", "SIPCore", "SIPEngine"]),

        /// The SQLite store (GRDB): records, named migrations, reads and writes in domain terms.
        .target(
            name: "TrunkStore",
            dependencies: [
                .product(name: "GRDB", package: "GRDB.swift"),
                // FilePath: paths without Foundation's string-path traps (issue 19).
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),

        /// The product's use cases (trunks, numbers, firewall, profile), shared by the TUI, CLI and API.
        .target(
            name: "TrunkCore",
            dependencies: [
                "SIPCore", "SIPEngine", "TrunkStore", "CPhoneNumber",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),

        /// Everything that runs, for every front end: the health monitor, the outbound and inbound test-call runners,
        /// the wizard's network (discovery and calls), RFC 3263 call targets; typed errors, no printing.
        .target(
            name: "TrunkRuntime",
            dependencies: [
                "TrunkCore", "SIPRuntime", "SIPNetwork", "SIPEngine", "SIPCore", "CCairo", "CCurl",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),

        /// The guide's /v1/sip HTTP API (Hummingbird) over TrunkCore's use cases and TrunkRuntime's runners.
        .target(
            name: "TrunkAPI",
            dependencies: [
                "TrunkCore", "TrunkRuntime", "SIPCore", "SIPEngine", "SIPNetwork", "SIPRuntime",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "MultipartKit", package: "multipart-kit"),
            ]
        ),

        .executableTarget(
            name: "siptrunk",
            dependencies: [
                "SIPCore", "SIPEngine", "SIPNetwork", "SIPRuntime", "TrunkStore", "TrunkCore", "TrunkRuntime", "TUIKit", "TUICurses", "TrunkTUI", "TrunkAPI",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            linkerSettings: [
                .unsafeFlags(["-use-ld=lld", "-Xlinker", "-z", "-Xlinker", "pack-relative-relocs"], .when(configuration: .release))
            ]
        ),

        .testTarget(
            name: "SIPCoreTests",
            dependencies: ["SIPCore"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "SIPEngineTests",
            dependencies: ["SIPEngine", "SIPCore"]
        ),
        .testTarget(
            name: "SIPNetworkTests",
            dependencies: [
                "TrunkRuntime", "SIPNetwork", "SIPEngine", "SIPRuntime", "SIPCore", "TrunkCore", "TrunkStore", "TrunkAPI",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "TUIKitTests",
            dependencies: ["TUIKit"]
        ),
        .testTarget(
            name: "TrunkTUITests",
            dependencies: ["TrunkTUI", "TUIKit", "TrunkCore", "TrunkStore"]
        ),
        .testTarget(
            name: "TrunkCoreTests",
            dependencies: ["TrunkCore", "TrunkStore", "SIPCore", "SIPEngine", "StoreTorture", "CLibraryLoader"]
        ),
        .testTarget(
            name: "TrunkAPITests",
            dependencies: [
                "TrunkAPI", "TrunkCore", "TrunkRuntime", "TrunkStore", "SIPCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // Runs the built binary as a user would (no module dependency: `swift build --build-tests` builds it).
        .testTarget(name: "siptrunkCLITests"),

        /// The parsers' fuzz driver: replays files normally, runs libFuzzer when built by Tests/Fuzz/run.sh.
        .executableTarget(
            name: "SIPFuzz",
            dependencies: ["SIPCore"],
            path: "Tests/Fuzz/SIPFuzz"
        ),

        /// A writer process for the store's crash and concurrency tests.
        .executableTarget(
            name: "StoreTorture",
            dependencies: ["TrunkStore"],
            path: "Tests/StoreTorture"
        ),

        /// Parse throughput: `swift run -c release SIPCoreBenchmarks`.
        .executableTarget(
            name: "SIPCoreBenchmarks",
            dependencies: [
                "SIPCore",
                .product(name: "Benchmark", package: "swift-benchmark"),
            ],
            path: "Benchmarks/SIPCoreBenchmarks"
        ),

        /// Parse cost in instructions per message under callgrind: `Benchmarks/parse-instructions.sh`.
        .executableTarget(
            name: "ParseInstructions",
            dependencies: ["SIPCore"],
            path: "Benchmarks/ParseInstructions"
        ),

        /// Probe round trip, flood rate and discovery time against kamailio on loopback:
        /// `swift build -c release --product siptrunk && swift run -c release ProbeBenchmarks`.
        .executableTarget(
            name: "ProbeBenchmarks",
            dependencies: [
                "SIPCore", "SIPEngine", "SIPNetwork", "SIPRuntime", "TrunkCore", "TrunkStore", "TrunkRuntime",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Benchmarks/ProbeBenchmarks"
        ),

        /// The trace viewer's load of 100,000 messages next to sngrep's:
        /// `swift build -c release --product DashboardBenchmarks && .build/release/DashboardBenchmarks`.
        .executableTarget(
            name: "DashboardBenchmarks",
            dependencies: ["SIPEngine", "TrunkCore", "TrunkStore", "TrunkTUI", "TUIKit"],
            path: "Benchmarks/DashboardBenchmarks"
        ),

        /// The terminal backend through a pseudo-terminal: `swift run -c release TUIBenchmarks`.
        .executableTarget(
            name: "TUIBenchmarks",
            dependencies: ["TUICurses", "TUIKit"],
            path: "Benchmarks/TUIBenchmarks"
        ),

        /// Call-log pagination on a million rows: `swift run -c release StoreBenchmarks`.
        .executableTarget(
            name: "StoreBenchmarks",
            dependencies: [
                "TrunkStore",
                .product(name: "Benchmark", package: "swift-benchmark"),
            ],
            path: "Benchmarks/StoreBenchmarks"
        ),
    ]
)
