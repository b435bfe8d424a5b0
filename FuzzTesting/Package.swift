// swift-tools-version:5.3
import PackageDescription

// libFuzzer targets for gic's parsers and decoder, kept apart from the root package so that its
// build and CI never pay for them (the layout of swift-protobuf's FuzzTesting/).
//
// Build (Linux, Swift 6.3; scripts/fuzz.sh does this):
//   swift build -c release --package-path FuzzTesting --scratch-path .build-fuzz \
//     -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
// and run one target by hand:
//   SWIFT_BACKTRACE=enable=no .build-fuzz/release/FuzzNPY -dict=FuzzTesting/Dictionaries/npy.dict \
//     FuzzTesting/Corpus/npy
//
// Implementation note: the tools version is 5.3 on purpose. From 5.5 on, SwiftPM compiles an
// executable's entry point as `<Module>_main` and links with `--defsym main=<Module>_main`, which
// either fails (no entry point under -parse-as-library) or overrides libFuzzer's own `main`.
// A 5.3 `.target` holding a main.swift is an executable without that renaming, so libFuzzer's
// `main` drives `LLVMFuzzerTestOneInput`. The fuzz targets compile in Swift 5 mode; the gic
// modules they import keep the root package's Swift 6 mode.
let package = Package(
  name: "FuzzTesting",
  platforms: [.macOS("13.0")],
  dependencies: [
    .package(name: "gic", path: ".."),
    .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
  ],
  targets: [
    // MARK: - Implementation details
    .target(
      name: "FuzzSupport",
      dependencies: [.product(name: "Crypto", package: "swift-crypto")],
      path: "Sources/FuzzSupport"
    ),

    // MARK: - Fuzz targets (one executable each; main.swift defines LLVMFuzzerTestOneInput)
    .target(
      name: "FuzzNPY",
      dependencies: ["FuzzSupport", .product(name: "Converters", package: "gic")]
    ),
    .target(
      name: "FuzzNPZ",
      dependencies: ["FuzzSupport", .product(name: "Converters", package: "gic")]
    ),
    .target(
      name: "FuzzSafetensors",
      dependencies: ["FuzzSupport", .product(name: "Converters", package: "gic")]
    ),
    .target(
      name: "FuzzPyTorch",
      dependencies: ["FuzzSupport", .product(name: "Converters", package: "gic")]
    ),
    .target(
      name: "FuzzWeightFile",
      dependencies: ["FuzzSupport", .product(name: "WeightFormat", package: "gic")]
    ),
    .target(
      name: "FuzzCodecModel",
      dependencies: [
        "FuzzSupport",
        .product(name: "ReferenceCodec", package: "gic"),
        .product(name: "WeightFormat", package: "gic"),
      ]
    ),
    .target(
      name: "FuzzBitstream",
      dependencies: [
        "FuzzSupport",
        .product(name: "ReferenceCodec", package: "gic"),
        .product(name: "WeightFormat", package: "gic"),
      ]
    ),
    .target(
      name: "FuzzPNG",
      dependencies: ["FuzzSupport", .product(name: "ReferenceCodec", package: "gic")]
    ),
    .target(
      name: "FuzzManifest",
      dependencies: ["FuzzSupport", .product(name: "ReferenceCodec", package: "gic")]
    ),
  ]
)
