/// Typed access to a state dict's float arrays for a codec profile, with errors naming the
/// profile and array.
struct StateDict {
  let arrays: [String: NumPyArray]
  let profile: String

  func fail(_ reason: String) -> ConverterError {
    .profileMismatch(profile: profile, reason: reason)
  }

  /// The array's values widened to Double, checking its shape and that every value is finite.
  func floats(_ name: String, shape: [Int]? = nil) throws -> [Double] {
    let v: (shape: [Int], values: [Double])
    do { v = try CompressAITables.floats(name, in: arrays) } catch {
      throw fail(error.description)
    }
    if let shape, v.shape != shape {
      throw fail("\(name) has shape \(v.shape), expected \(shape)")
    }
    guard v.values.allSatisfy(\.isFinite) else { throw fail("\(name) has non-finite values") }
    return v.values
  }

  /// The array's shape.
  func shape(_ name: String) throws -> [Int] {
    guard let a = arrays[name] else { throw fail("missing array \(name)") }
    return a.shape
  }
}
