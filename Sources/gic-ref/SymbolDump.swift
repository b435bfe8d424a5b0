import CLISupport
import Foundation
import NumPyIO
import ReferenceCodec
import WeightFormat

/// Writes a bitstream's decoded symbols as NumPy arrays, for float reference decoders.
enum SymbolDump {
  /// Arrays: `z_symbols` (N, H_p/64, W_p/64; N = 0 for `bmshj2018-factorized`) and `y_symbols` (M, H_p/16, W_p/16) int32, and
  /// int64 scalars `rate_index`, `steps`, `seed` (−1 without noise; else the seed's bits as
  /// int64), `width`, `height`.
  static func write(
    _ symbols: (z: [Int32], y: [Int32]), stream: Bitstream, codec: HyperpriorCodec,
    to path: String
  ) throws {
    let (pw, ph) = codec.paddedSize(width: stream.width, height: stream.height)
    let n = codec.hyperSynthesis?.values[0].channels ?? 0
    let m = codec.synthesis.values[0].channels
    var npz = NPZWriter()
    func int32(_ v: [Int32]) -> Data { v.map(\.littleEndian).withUnsafeBytes { Data($0) } }
    func scalar(_ v: Int64) -> Data { withUnsafeBytes(of: v.littleEndian) { Data($0) } }
    npz.add(
      name: "z_symbols", dtype: .int32, shape: [n, ph / codec.multiple, pw / codec.multiple],
      data: int32(symbols.z))
    npz.add(
      name: "y_symbols", dtype: .int32,
      shape: [m, ph / codec.latentStride, pw / codec.latentStride], data: int32(symbols.y))
    npz.add(name: "rate_index", dtype: .int64, shape: [], data: scalar(Int64(stream.rateIndex)))
    npz.add(name: "steps", dtype: .int64, shape: [], data: scalar(Int64(stream.steps)))
    npz.add(
      name: "seed", dtype: .int64, shape: [],
      data: scalar(stream.seed.map { Int64(bitPattern: $0) } ?? -1))
    npz.add(name: "width", dtype: .int64, shape: [], data: scalar(Int64(stream.width)))
    npz.add(name: "height", dtype: .int64, shape: [], data: scalar(Int64(stream.height)))
    try npz.write(to: path)
  }
}
