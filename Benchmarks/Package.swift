// swift-tools-version:6.0
// Benchmarks for gic, kept out of the root package so that timing code never ships in it.
//
//   swift build -c release --package-path Benchmarks
//   python3 bench/entropy_bench.py        # builds this package, generates data, runs everything
//   Benchmarks/.build/release/gdn-bench   # the GDN kernel (Sources/gdn-bench/main.swift)
import Foundation
import PackageDescription

// A path dependency's identity is its directory's name, whatever the clone is called.
let rootDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
  .deletingLastPathComponent()
let root = rootDirectory.lastPathComponent.lowercased()

let package = Package(
  name: "gic-benchmarks",
  platforms: [.macOS(.v13)],
  dependencies: [.package(path: "..")],
  targets: [
    .executableTarget(
      name: "entropy-bench",
      dependencies: [
        .product(name: "ReferenceCodec", package: root),
        .product(name: "WeightFormat", package: root),
        .product(name: "Converters", package: root),
      ]
    ),
    .executableTarget(
      name: "gdn-bench",
      dependencies: [.product(name: "ReferenceCodec", package: root)]
    ),
  ],
  swiftLanguageModes: [.v6]
)
