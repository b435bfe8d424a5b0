/// The encoder's side of the detail fill (spec/bitstream.md §7.5): decode the latent stream as
/// a decoder would, choose the codes by the reference rule and add them as the third substream.
extension HyperpriorCodec {
  /// Adds a detail substream to a two-substream profile-3 stream of `source`.
  ///
  /// The stream is decoded exactly as a decoder would (its steps and seed, the same
  /// integer path), so x̂ is the picture the decoder fills; the codes are the reference rule's
  /// (``DetailFill/codes(original:decoded:threads:)``) and the stream gets minor version 1.
  ///
  /// - Throws: ``BitstreamError/incompatible(reason:)`` for a profile without the detail fill;
  ///   as ``decode(_:threads:path:)``.
  public func addingDetail(
    to stream: Bitstream, source: RGBImage, threads: Int = 1, path: KernelPath = .automatic
  ) throws -> Bitstream {
    guard rateVariable != nil, stream.substreams.count == 2 else {
      throw BitstreamError.incompatible(
        reason: "the detail fill (--detail on) applies to gic-v1 models (profile 3) only; "
          + "the model is \(profile.name)")
    }
    precondition(
      source.width == stream.width && source.height == stream.height, "the stream's picture")
    let decoded = try decode(stream, threads: threads, path: path)
    let codes = DetailFill.codes(original: source, decoded: decoded, threads: threads)
    return stream.addingDetail(try DetailFill.encodeCodes(codes))
  }
}
