// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "gic",
  platforms: [.macOS(.v13)],
  products: [
    // MARK: - Public API
    .library(name: "WeightFormat", targets: ["WeightFormat"]),
    .library(name: "NumPyIO", targets: ["NumPyIO"]),
    .library(name: "Converters", targets: ["Converters"]),
    .library(name: "ReferenceCodec", targets: ["ReferenceCodec"]),
    .executable(name: "gic-convert", targets: ["gic-convert"]),
    .executable(name: "gic-ref", targets: ["gic-ref"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
  ],
  targets: [
    // MARK: - Public API
    .target(
      name: "WeightFormat",
      dependencies: ["CCleanup", .product(name: "Crypto", package: "swift-crypto")]
    ),
    .target(
      name: "NumPyIO",
      dependencies: ["WeightFormat", "CArchive"]
    ),
    .target(
      name: "Converters",
      dependencies: ["WeightFormat", "NumPyIO"]
    ),
    .target(
      name: "ReferenceCodec",
      dependencies: ["WeightFormat", "CPNG", "CKernels"]
    ),
    .executableTarget(
      name: "gic-convert",
      dependencies: [
        "Converters", "WeightFormat", "ReferenceCodec", "CLISupport",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .executableTarget(
      name: "gic-ref",
      dependencies: [
        "ReferenceCodec", "WeightFormat", "NumPyIO", "CLISupport",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),

    // MARK: - Implementation details (no stable Swift API)
    .target(
      name: "CLISupport",
      dependencies: [
        "WeightFormat", .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .target(name: "CKernels"),
    .target(name: "CCleanup"),
    .systemLibrary(
      name: "CArchive",
      pkgConfig: "libarchive",
      providers: [.apt(["libarchive-dev"]), .brew(["libarchive"])]
    ),
    .systemLibrary(
      name: "CPNG",
      pkgConfig: "libpng",
      providers: [.apt(["libpng-dev"]), .brew(["libpng"])]
    ),

    // MARK: - Unit test bundles
    .target(name: "GICTestSupport", dependencies: ["WeightFormat"], path: "Tests/GICTestSupport"),
    .testTarget(name: "WeightFormatTests", dependencies: ["WeightFormat", "GICTestSupport"]),
    .testTarget(
      name: "ConvertersTests",
      dependencies: ["Converters", "WeightFormat", "GICTestSupport"],
      exclude: ["Fixtures"]
    ),
    .testTarget(
      name: "ReferenceCodecTests",
      dependencies: ["ReferenceCodec", "WeightFormat", "NumPyIO", "GICTestSupport"],
      exclude: ["Fixtures"]
    ),
    .testTarget(
      name: "CLITests",
      dependencies: [
        "Converters", "ReferenceCodec", "WeightFormat", "GICTestSupport", "gic-convert", "gic-ref",
      ]
    ),
  ],
  swiftLanguageModes: [.v6]
)
