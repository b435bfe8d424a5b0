import WeightFormat

/// An integer network loaded from a container and ready to run (spec/integer-ops.md §8).
///
/// Loading decodes `gic.graph.<name>`, reads every parameter tensor with its dtype and shape
/// checked, infers every value's channel count, exponent and clamp range, recomputes each
/// convolution's and GDN's accumulator bound (§3) from the stored integers and refuses the model
/// when a bound exceeds 2^31 − 1 or differs from the recorded `accumulator_bound`. A loaded
/// graph therefore runs without overflow on any input within its inputs' clamp ranges.
///
/// Bit-exact: ``run(_:threads:path:)`` returns the same values for every thread count and
/// kernel path (the fast kernels equal the reference kernels, §7).
public struct IntegerGraph: Sendable {
  /// A value's static description.
  public struct Value: Sendable, Equatable {
    public var name: String
    public var channels: Int
    public var exponent: Int
    public var lo: Int32
    public var hi: Int32
    /// X = max(|lo|, |hi|), the bound the accumulator proof uses.
    public var bound: Int64 { max(abs(Int64(lo)), abs(Int64(hi))) }
  }

  struct Step: Sendable {
    var operation: any IntegerOperator
    var inputs: [Int]
    var output: Int
    /// Values whose last use is this step (released after it).
    var releases: [Int]
  }

  public let name: String
  /// Every value: the graph's inputs first, then one per node.
  public let values: [Value]
  public let inputCount: Int
  public let outputIndices: [Int]
  let steps: [Step]

  /// The number of conditioning levels the graph's `conditioned_affine` nodes take (0 if none):
  /// ``run(_:level:threads:path:)`` needs a level in 0 ..< `levels`.
  public var levels: Int {
    steps.compactMap { $0.operation.levels }.min() ?? 0
  }

  /// The graph's input values.
  public var inputs: ArraySlice<Value> { values[..<inputCount] }
  /// The graph's output values.
  public var outputs: [Value] { outputIndices.map { values[$0] } }

  /// The spatial size of every value for inputs of `height` × `width` (all inputs alike),
  /// each side clamped to 0…2^31.
  public func sizes(height: Int, width: Int) -> [(height: Int, width: Int)] {
    var sizes = [(height: Int, width: Int)](repeating: (height, width), count: values.count)
    for step in steps {
      let (h, w) = sizes[step.inputs[0]]
      let out = step.operation.outputSize(height: h, width: w)
      // Clamped so that a crafted chain of upsamplings cannot overflow; no real size is near.
      sizes[step.output] = (min(max(out.height, 0), 1 << 31), min(max(out.width, 0), 1 << 31))
    }
    return sizes
  }

  /// Multiply-accumulate operations of one run on an input of `height` × `width` pixels at the
  /// graph's inputs (convolutions and GDN only); for reports.
  public func multiplyAccumulates(height: Int, width: Int) -> Int {
    let sizes = self.sizes(height: height, width: width)
    return steps.reduce(0) { total, step in
      total
        + step.operation.multiplyAccumulates(
          input: sizes[step.inputs[0]], output: sizes[step.output])
    }
  }

  /// Loads the graph `gic.graph.<name>` of `file`.
  ///
  /// - Throws: ``ModelError`` naming the node or tensor at fault.
  public init(file: WeightFile, name: String) throws(ModelError) {
    let key = GraphDescription.metadataKey(name)
    guard let stored = file.metadata(key) else {
      throw .missing(what: "graph \(name)", reason: "no metadata entry \(key)")
    }
    let description: GraphDescription
    do { description = try GraphDescription(stored, name: name) } catch {
      throw .invalidGraph(error)
    }
    try self.init(description: description, file: file, name: name)
  }

  /// Builds the graph from its description and the container holding its parameters.
  init(description: GraphDescription, file: WeightFile, name: String) throws(ModelError) {
    self.name = name
    var values: [Value] = []
    var index: [String: Int] = [:]
    func define(_ v: Value, node: Int) throws(ModelError) -> Int {
      guard index[v.name] == nil else {
        throw .invalidNode(
          graph: name, node: node, output: v.name, reason: "value \(v.name) is defined twice")
      }
      index[v.name] = values.count
      values.append(v)
      return values.count - 1
    }
    for input in description.inputs {
      _ = try define(
        Value(
          name: input.name, channels: input.channels, exponent: input.exponent,
          lo: Int32(input.lo), hi: Int32(input.hi)), node: -1)
    }
    inputCount = values.count
    var steps: [Step] = []
    for (n, node) in description.nodes.enumerated() {
      var inputIndices: [Int] = []
      for input in node.inputs {
        guard let i = index[input] else {
          throw .invalidNode(
            graph: name, node: n, output: node.output,
            reason: "input \(input) is not defined by an earlier node or the graph's inputs")
        }
        inputIndices.append(i)
      }
      let (operation, value) = try Self.build(
        NodeBuilder(
          node: node, inputs: inputIndices.map { values[$0] }, file: file, graph: name, number: n))
      let output = try define(value, node: n)
      steps.append(Step(operation: operation, inputs: inputIndices, output: output, releases: []))
    }
    var outputIndices: [Int] = []
    for output in description.outputs {
      guard let i = index[output] else {
        throw .missing(what: "graph \(name) output \(output)", reason: "no node produces it")
      }
      outputIndices.append(i)
    }
    // Release each intermediate value after its last use.
    var lastUse = [Int](repeating: -1, count: values.count)
    for (s, step) in steps.enumerated() {
      for i in step.inputs { lastUse[i] = s }
    }
    for (i, s) in lastUse.enumerated() where s >= 0 && !outputIndices.contains(i) {
      steps[s].releases.append(i)
    }
    self.values = values
    self.outputIndices = outputIndices
    self.steps = steps
  }
}
