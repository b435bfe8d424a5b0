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

  /// A CompressAI GDN (inverse GDN) layer with its parameters un-reparametrised:
  /// max(p, bound)² − pedestal (float64), β of C values and γ of C × C.
  func gdn(
    _ prefix: String, input: String, output: String? = nil, channels c: Int, inverse: Bool
  ) throws -> FloatNetwork.Layer {
    func effective(_ name: String, shape: [Int]) throws -> [Double] {
      let p = try floats(prefix + "." + name, shape: shape)
      let bound = try floats(prefix + "." + name + "_reparam.lower_bound.bound")
      let pedestal = try floats(prefix + "." + name + "_reparam.pedestal")
      guard bound.count == 1, pedestal.count == 1 else {
        throw fail("\(prefix).\(name)_reparam buffers must hold one value each")
      }
      return p.map { max($0, bound[0]) * max($0, bound[0]) - pedestal[0] }
    }
    let beta = try effective("beta", shape: [c])
    let gamma = try effective("gamma", shape: [c, c])
    guard beta.allSatisfy({ $0 > 0 }) else { throw fail("\(prefix).beta must be positive") }
    return FloatNetwork.Layer(
      kind: .gdn(beta: beta, gamma: gamma, inverse: inverse), input: input,
      output: output ?? prefix, prefix: prefix)
  }
}
