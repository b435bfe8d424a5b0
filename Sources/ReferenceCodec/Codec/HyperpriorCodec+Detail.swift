/// The encoder's side of the detail stages (spec/bitstream.md §7.5, §7.6): decode the latent
/// stream as a decoder would, choose the codes by the reference rules and add them as the third
/// (and fourth) substream.
extension HyperpriorCodec {
  /// Adds the detail substream, and with ``DetailMode/on`` the gains substream, to a
  /// two-substream profile-3 stream of `source`.
  ///
  /// The stream is decoded exactly as a decoder would (its steps and seed, the same integer
  /// path), so x̂ is the picture the decoder amplifies and fills. With gains, their codes are
  /// the reference rule's on x̂ (``BandGains/codes(original:decoded:threads:)``), the gains are
  /// applied, and the detail codes (``DetailFill/codes(original:decoded:threads:)``) are chosen
  /// against the amplified picture; the stream gets minor version 2 (1 without gains).
  ///
  /// - Parameter mode: ``DetailMode/fill`` or ``DetailMode/on``; ``DetailMode/off`` returns the
  ///   stream unchanged.
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
    var gains: [UInt8]?
    if mode.sendsGains {
      let codes = BandGains.codes(original: source, decoded: decoded, threads: threads)
      BandGains.apply(&decoded, codes: codes, threads: threads)
      gains = try BandGains.encodeCodes(codes)
    }
    let codes = DetailFill.codes(original: source, decoded: decoded, threads: threads)
    let filled = stream.addingDetail(try DetailFill.encodeCodes(codes))
    return gains.map { filled.addingGains($0) } ?? filled
  }
}
