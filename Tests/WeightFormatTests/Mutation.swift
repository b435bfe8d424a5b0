import Testing

/// One malformation of a valid container: an edit at offsets computed from the file's own layout,
/// the model digest optionally recomputed afterwards (so checks that the reader makes after the
/// digest are reached), and the error code the reader must report.
struct Mutation: Sendable, CustomTestStringConvertible {
  typealias Edit = @Sendable (inout ContainerImage, RecordLayout) throws -> Void

  let name: String
  let code: String
  /// Whether the model digest is recomputed after the edit.
  let redigest: Bool
  let edit: Edit

  var testDescription: String { "\(name) → \(code)" }

  /// The base file with the edit applied.
  func apply(to base: ContainerImage) throws -> ContainerImage {
    var image = base
    try edit(&image, try RecordLayout(base))
    if redigest { image.redigest() }
    return image
  }

  /// A mutation after which the model digest is recomputed.
  static func fixed(_ name: String, _ code: String, _ edit: @escaping Edit) -> Mutation {
    Mutation(name: name, code: code, redigest: true, edit: edit)
  }

  /// A mutation that leaves the stored model digest as it was.
  static func raw(_ name: String, _ code: String, _ edit: @escaping Edit) -> Mutation {
    Mutation(name: name, code: code, redigest: false, edit: edit)
  }

  struct Missing: Error, CustomStringConvertible {
    let description: String
  }

  /// Unwraps a layout lookup inside an edit.
  static func need<T>(_ value: T?, _ what: String) throws -> T {
    guard let value else { throw Missing(description: "the base file has no \(what)") }
    return value
  }

  /// Recomputes the SHA-256 stored in the record of the CDF table `name` from its data bytes,
  /// so that an edit of the data is not caught as an object digest mismatch.
  static func fixObjectDigest(
    cdf name: String, _ image: inout ContainerImage, _ layout: RecordLayout
  )
    throws
  {
    let record = try need(layout.cdf(name), "CDF table \(name)")
    let start = layout.dataSection + Int(image.u64(at: record.dataOffset))
    let length = Int(image.u64(at: record.dataLength))
    image.set(
      bytes: ContainerImage.sha256(image.bytes[start..<(start + length)]), at: record.sha256)
  }
}
