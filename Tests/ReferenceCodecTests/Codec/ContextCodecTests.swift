import Foundation
import GICTestSupport
import Testing
import WeightFormat

@testable import ReferenceCodec

/// Profile 5, `mbt2018` (spec/bitstream.md §11), on a small untrained model with a fixed seed
/// (Fixtures/context/README.md).
@Suite("mbt2018 codec (context model)")
struct ContextCodecTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fixtures/context")
  static let modelPath = root.appendingPathComponent("mbt2018-N16-M24.gicw").path

  static func codec() throws -> HyperpriorCodec {
    try HyperpriorCodec(file: try WeightFile.open(path: modelPath))
  }

  /// The committed 77 × 45 RGB test picture of the codec fixtures.
  static func picture() throws -> RGBImage {
    try CodecFixtures.image("rgb-77x45.png").image
  }

  /// A 150 × 90 picture of gradients and texture: several latent rows and columns (12 × 8 after
  /// padding to 192 × 128).
  static func largerPicture() throws -> RGBImage {
    let (w, h) = (150, 90)
    var pixels = [UInt8](repeating: 0, count: w * h * 3)
    var rng = SplitMix64(seed: 5)
    for y in 0..<h {
      for x in 0..<w {
        let i = (y * w + x) * 3
        pixels[i] = UInt8((x * 255) / w)
        pixels[i + 1] = UInt8((y * 255) / h)
        pixels[i + 2] = UInt8(truncatingIfNeeded: rng.next())
      }
    }
    return try RGBImage(width: w, height: h, pixels: pixels)
  }

  /// The model with tensor `name` changed by `edit`.
  static func edited(tensor name: String, _ edit: (inout [Int16]) -> Void) throws -> WeightFile {
    let file = try WeightFile.open(path: modelPath)
    var writer = WeightFileWriter()
    for (key, value) in file.metadata { try writer.setMetadata(key, value) }
    for record in file.tensors {
      var tensor = file.tensorValue(record)
      if record.name == name {
        var values = try file.integers(name, as: Int16.self)
        edit(&values)
        tensor.data = values.withUnsafeBufferPointer { Data(buffer: $0) }
      }
      try writer.add(tensor)
    }
    for record in file.cdfTables { try writer.add(record.table, named: record.name) }
    return try WeightFile(bytes: Data(writer.serialized()))
  }

  @Test func loadsAsProfileFive() throws {
    let codec = try Self.codec()
    #expect(codec.profile == .mbt2018)
    #expect(ModelProfile(bitstreamCode: 5) == .mbt2018)
    #expect(ModelProfile.mbt2018.hasHyperprior && ModelProfile.mbt2018.hasContextModel)
    let graphs = try #require(codec.contextGraphs)
    #expect(graphs.contextPrediction.name == "context_prediction")
    #expect(graphs.entropyParameters.outputs.map(\.channels) == [24, 24])
    #expect(codec.hyperSynthesis?.outputs.map(\.channels) == [48])
  }

  /// Encode → decode; the same bytes and pixels for 1, 2 and 8 threads and every kernel path.
  @Test(arguments: [false, true])
  func roundTripIsDeterministic(larger: Bool) throws {
    let codec = try Self.codec()
    let image = larger ? try Self.largerPicture() : try Self.picture()
    let reference = try codec.encode(image, threads: 1, path: .portable)
    #expect(reference.profile == .mbt2018 && reference.substreams.count == 2)
    let parsed = try Bitstream(parsing: reference.serialized())
    let decoded = try codec.decode(parsed, threads: 1, path: .portable)
    #expect(decoded.width == image.width && decoded.height == image.height)
    for path in KernelPath.available {
      for threads in [1, 2, 8] {
        let stream = try codec.encode(image, threads: threads, path: path)
        #expect(stream.serialized() == reference.serialized(), "\(path) \(threads) threads")
        let picture = try codec.decode(parsed, threads: threads, path: path)
        #expect(picture.pixels == decoded.pixels, "\(path) \(threads) threads")
      }
    }
  }

  /// The decoder's ŷ equals the encoder's, and the position-by-position context path equals the
  /// stored graphs `context_prediction` and `entropy_parameters` run whole on the final ŷ.
  @Test func perPositionPathEqualsWholeGraphs() throws {
    let yHat = try Self.expectPerPositionPathEqualsWholeGraphs(try Self.codec())
    #expect(yHat.height == 8 && yHat.width == 12)
  }

  /// The check of ``perPositionPathEqualsWholeGraphs()`` for any context-model codec (profiles
  /// 5–7): ŷ decoded equals ŷ encoded, and at every position the context path's ctx, scales
  /// and means equal the stored graphs' outputs on the final ŷ, which it returns.
  @discardableResult
  static func expectPerPositionPathEqualsWholeGraphs(_ codec: HyperpriorCodec) throws
    -> ChannelsLastActivations
  {
    let context = try #require(codec.contextModel)
    let graphs = try #require(codec.contextGraphs)
    let analysis = try codec.analyze(try largerPicture())
    let params = try #require(analysis.params)
    let (stream, yHat) = try codec.encodeLatent(analysis.y, params: params, context: context)
    let decoded = try codec.decodeLatent(stream, params: params, context: context)
    #expect(decoded.yHat == yHat)

    let ctx = graphs.contextPrediction.run([yHat])[0]
    let whole = graphs.entropyParameters.run([params, ctx])
    var scratch = context.makeScratch()
    var differences = 0
    for y in 0..<yHat.height {
      for x in 0..<yHat.width {
        context.parameters(y: y, x: x, yHat: yHat, params: params, into: &scratch)
        let p = (y * yHat.width + x)
        for c in 0..<context.channels {
          if scratch.slots[context.scalesSlot][c] != whole[0].values[p * whole[0].channelStride + c]
            || scratch.slots[context.meansSlot][c]
              != whole[1].values[p * whole[1].channelStride + c]
          {
            differences += 1
          }
        }
        for c in 0..<context.contextChannels
        where scratch.slots[1][c] != ctx.values[p * ctx.channelStride + c] {
          differences += 1
        }
      }
    }
    #expect(differences == 0)
    return yHat
  }

  /// A context weight moved from a causal tap to a non-causal one (the accumulator bound stays
  /// the same) makes the model refused at load, naming the graph.
  @Test func nonCausalContextWeightIsRefused() throws {
    let file = try Self.edited(tensor: "context_prediction.weight") { w in
      // Output channel 0, input channel 0: tap (0, 0) is causal, (4, 4) is not.
      let (causal, future) = (0, 24)
      if w[causal] == 0 { w[causal] = 1 }
      w[future] = w[causal]
      w[causal] = 0
    }
    let error = try requireThrows(ModelError.self) { _ = try HyperpriorCodec(file: file) }
    #expect(error.description.contains("graph context_prediction"), "\(error)")
    #expect(error.description.contains("non-causal"), "\(error)")
  }

  /// Damaged copies of a substream: empty, one byte, one byte short, four bytes too many, and
  /// eight copies with one byte flipped each (shared by the context-model profiles' tests).
  static func damaged(_ y: [UInt8]) -> [[UInt8]] {
    var variants: [[UInt8]] = [[], Array(y.prefix(1)), Array(y.dropLast()), y + [0, 0, 0, 0]]
    for i in stride(from: 0, to: y.count, by: max(1, y.count / 8)) {
      var flipped = y
      flipped[i] ^= 0x5A
      variants.append(flipped)
    }
    return variants
  }

  /// Damaged y substreams (truncated, bytes flipped) end in a typed error or a picture.
  @Test func damagedLatentStreamsFailCleanly() throws {
    let codec = try Self.codec()
    let stream = try codec.encode(try Self.picture())
    let y = stream.substreams[1]
    let variants = Self.damaged(y)
    var pictures = 0
    var errors = 0
    for v in variants {
      var damaged = stream
      damaged.substreams[1] = v
      do {
        _ = try codec.decode(damaged)
        pictures += 1
      } catch is EntropyError {
        errors += 1
      } catch is BitstreamError {
        errors += 1
      }
    }
    #expect(pictures + errors == variants.count)
    #expect(errors >= 1)
  }

  /// 200 seeded mutations of a whole profile 5 stream (bytes flipped or set, the file cut or
  /// extended), parsed and decoded: a typed error or a picture every time.
  @Test func mutatedStreamsFailCleanly() throws {
    let codec = try Self.codec()
    let bytes = try codec.encode(try Self.largerPicture()).serialized()
    var rng = SplitMix64(seed: 15)
    var outcomes: [String: Int] = [:]
    for _ in 0..<200 {
      var b = bytes
      switch rng.next() % 4 {
      case 0:
        let i = Int(rng.next() % UInt64(b.count))
        b[i] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
      case 1:
        for _ in 0..<4 {
          b[Int(rng.next() % UInt64(b.count))] = UInt8(truncatingIfNeeded: rng.next())
        }
      case 2:
        b.removeLast(Int(rng.next() % UInt64(b.count)))
      default:
        b += (0..<Int(rng.next() % 9)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
      }
      do {
        let stream = try Bitstream(parsing: b)
        let image = try codec.decode(stream)
        #expect(image.width == stream.width && image.height == stream.height)
        outcomes["picture", default: 0] += 1
      } catch let error as BitstreamError {
        outcomes[error.code, default: 0] += 1
      } catch let error as EntropyError {
        outcomes[error.code, default: 0] += 1
      } catch let error as ResourceError {
        outcomes[error.code, default: 0] += 1
      }
    }
    #expect(outcomes.values.reduce(0, +) == 200, "\(outcomes)")
    // The entropy decoder and the context loop ran on damaged substreams, not only the parser.
    #expect(outcomes["entropy.damagedStream", default: 0] > 0, "\(outcomes)")
    #expect(outcomes["picture", default: 0] > 0, "\(outcomes)")
  }
}
