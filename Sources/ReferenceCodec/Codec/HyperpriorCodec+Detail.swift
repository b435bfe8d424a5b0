/// The encoder's side of the detail stages (spec/bitstream.md §7.5, §7.6): decode the latent
/// stream as a decoder would, choose the codes by the reference rules and add them as the third
/// (and fourth) substream.
extension HyperpriorCodec {
  /// Adds the detail substream, and as `mode` asks the gains and residual substreams, to a
  /// two-substream profile-3 stream of `source`.
  ///
  /// The stream is decoded exactly as a decoder would (its steps and seed, the same integer
  /// path), so x̂ is the picture the decoder corrects, amplifies and fills. Each stage's codes
  /// are its reference rule's against the picture the stage will see (spec/bitstream.md §7.7,
  /// §7.6, §7.5: ``LowpassResidual/codes(original:decoded:)`` on x̂, then
  /// ``BandGains/codes(original:decoded:signed:threads:)`` on the corrected picture, then
  /// ``DetailFill/codes(original:decoded:threads:)`` on the amplified one); with gains the
  /// stream gets signed gains (codes −1 … 4, flags bit 2) and minor version 3, without them
  /// minor version 1.
  ///
  /// - Parameters:
  ///   - stream: a two-substream profile-3 stream of `source`.
  ///   - source: the picture the stream codes.
  ///   - mode: ``DetailMode/fill``, ``DetailMode/gains`` or ``DetailMode/on``;
  ///     ``DetailMode/off`` returns the stream unchanged.
  ///   - threads: worker threads; the bytes do not depend on it.
  ///   - path: the kernel implementation; the bytes do not depend on it.
  /// - Returns: the stream with the detail stages' substreams and its minor version.
  /// - Throws: ``BitstreamError/incompatible(reason:)`` for a profile without the detail fill;
  ///   as ``decode(_:threads:path:)``.
  public func addingDetail(
    to stream: Bitstream, source: RGBImage, mode: DetailMode = .fill, threads: Int = 1,
    path: KernelPath = .automatic
  ) throws -> Bitstream {
    guard mode != .off else { return stream }
    guard rateVariable != nil, stream.substreams.count == 2 else {
      throw BitstreamError.incompatible(
        reason: "the detail stages (--detail \(mode)) apply to gic-v1 models (profile 3) only; "
          + "the model is \(profile.name)")
    }
    precondition(
      source.width == stream.width && source.height == stream.height, "the stream's picture")
    var decoded = try decode(stream, threads: threads, path: path)
    var residual: [UInt8]?
    if mode.sendsResidual {
      let codes = LowpassResidual.codes(original: source, decoded: decoded)
      LowpassResidual.apply(&decoded, codes: codes, threads: threads)
      residual = try LowpassResidual.encodeCodes(codes)
    }
    var gains: [UInt8]?
    if mode.sendsGains {
      let codes = BandGains.codes(
        original: source, decoded: decoded, signed: true, threads: threads)
      BandGains.apply(&decoded, codes: codes, signed: true, threads: threads)
      gains = try BandGains.encodeCodes(codes, signed: true)
    }
    let codes = DetailFill.codes(original: source, decoded: decoded, threads: threads)
    var out = stream.addingDetail(try DetailFill.encodeCodes(codes))
    if let gains { out = out.addingGains(gains, signed: true) }
    if let residual { out = out.addingResidual(residual) }
    return out
  }
}
