import WeightFormat

/// One row of the operator table: what a stored operator is called, what it needs, where its
/// semantics and fast kernels are, and how to draw a random case for the checkasm-style test.
public struct OperatorDefinition: Sendable, CustomStringConvertible {
  /// The stored names (`GraphDescription.Node.op`) the row handles; empty for a kernel that is
  /// not a graph node of its own (requantization).
  public let names: [OperatorName]
  /// The spec section that defines it, such as "spec/integer-ops.md §4".
  public let specSection: String
  /// Integer attributes a node carries.
  public let attributes: [String]
  /// Parameter tensors a node carries, in order.
  public let parameters: [String]
  /// The reference kernel (plain Swift, the normative definition).
  public let reference: String
  /// The fast kernels, each bit-exact against the reference on every `KernelPath`.
  public let fastPaths: [String]
  /// Checks one stored node and prepares its operator (nil for rows that are not graph nodes).
  let build: (@Sendable (NodeBuilder) throws(ModelError) -> NodeBuilder.Built)?
  /// A random case: reference and fast results of the same inputs.
  public let randomCase: @Sendable (inout SplitMix64) -> OperatorCase

  public var description: String {
    names.isEmpty ? reference : names.map(\.rawValue).joined(separator: "/")
  }
}

/// A layer whose int32 accumulator has a proved bound and whose output is requantized per
/// channel (convolutions, GDN): its table row and random cases.
protocol RequantizedLayerOperator {
  /// Checks a stored node and prepares the layer.
  static func build(_ b: NodeBuilder) throws(ModelError) -> NodeBuilder.Built
  /// A random layer and input within the accumulator bound.
  static func randomCase(_ rng: inout SplitMix64) -> OperatorCase
}

extension RequantizedLayerOperator {
  /// The layer's row: `attributes` and `parameters` are its own, followed by those every such
  /// layer has (exponent, lo, hi, accumulator_bound; the requantization's multiplier and shift).
  static func row(
    _ names: [OperatorName], spec: String, attributes: [String], parameters: [String],
    reference: String, fastPath: String
  ) -> OperatorDefinition {
    OperatorDefinition(
      names: names, specSection: spec,
      attributes: attributes + ["exponent", "lo", "hi", "accumulator_bound"],
      parameters: parameters + Requantization.parameterTensors, reference: reference,
      fastPaths: [fastPath], build: { b throws(ModelError) in try build(b) },
      randomCase: { randomCase(&$0) })
  }
}

/// Every operator of spec/integer-ops.md, one row each (ARCHITECTURE.md, "Adding an operator").
///
/// Loading a graph looks each node's `op` up here; the table-driven test
/// (`OperatorTableTests`) runs every row's random cases on every kernel path and thread count
/// and compares them byte for byte with the reference.
public enum OperatorTable {
  public static let rows: [OperatorDefinition] = [
    Requantization.definition,
    ConvolutionOperator.definition,
    GDNOperator.definition,
    ReLUOperator.definition,
    LeakyReLUOperator.definition,
    AbsOperator.definition,
    ClampOperator.definition,
    AddOperator.definition,
    ConcatOperator.definition,
    PixelShuffleOperator.definition,
    AffineOperator.definition,
    LookupOperator.definition,
    MulOperator.definition,
  ]

  /// The row that handles the stored name `name`.
  static func row(named name: String) -> OperatorDefinition? {
    guard let op = OperatorName(rawValue: name) else { return nil }
    return rows.first { $0.names.contains(op) }
  }
}

/// One random case of an operator: the reference result and a way to run the fast paths on
/// the same inputs.
public struct OperatorCase: Sendable, CustomStringConvertible {
  public let description: String
  /// The reference kernel's output values (channels last, padding channel 0).
  public let reference: @Sendable () -> [Int16]
  /// The output values of a run with the given kernel path and thread count.
  public let run: @Sendable (_ path: KernelPath, _ threads: Int) -> [Int16]

  public init(
    _ description: String, reference: @escaping @Sendable () -> [Int16],
    run: @escaping @Sendable (_ path: KernelPath, _ threads: Int) -> [Int16]
  ) {
    self.description = description
    self.reference = reference
    self.run = run
  }

  /// A case of a fast kernel against its (C, H, W) reference, both run on `input`.
  static func kernel(
    _ description: String, input: ChannelsLastActivations, outputExponent: Int,
    fast: some ChannelsLastKernel,
    reference: @escaping @Sendable (ActivationTensor, Int) -> ActivationTensor
  ) -> OperatorCase {
    OperatorCase(
      description,
      reference: {
        ChannelsLastActivations(reference(input.activationTensor, outputExponent)).values
      },
      run: { path, threads in
        fast.run(input, outputExponent: outputExponent, threads: threads, path: path).values
      })
  }

  /// A case of a graph operator whose reference is its own single-threaded portable run
  /// (operators without a separate fast kernel: every path and thread count must agree).
  static func node(
    _ description: String, _ op: any IntegerOperator, inputs: [ChannelsLastActivations],
    output: IntegerGraph.Value, level: Int = 0
  ) -> OperatorCase {
    OperatorCase(
      description,
      reference: {
        op.run(
          inputs, output: output, context: OperatorContext(level: level, path: .portable)
        ).values
      },
      run: { path, threads in
        op.run(
          inputs, output: output,
          context: OperatorContext(level: level, threads: threads, path: path)
        ).values
      })
  }
}

extension SplitMix64 {
  /// A random channels-last tensor with values in lo…hi, the bounds themselves often drawn.
  mutating func activations(
    channels: Int, height: Int, width: Int, lo: Int32, hi: Int32, exponent: Int = 8
  ) -> ChannelsLastActivations {
    let stride = ChannelsLastLayout.channelStride(channels)
    var values = [Int16](repeating: 0, count: height * width * stride)
    for p in 0..<(height * width) {
      for c in 0..<channels {
        let v: Int32
        switch Int.random(in: 0..<8, using: &self) {
        case 0: v = lo
        case 1: v = hi
        default: v = Int32.random(in: lo...hi, using: &self)
        }
        values[p * stride + c] = Int16(v)
      }
    }
    return ChannelsLastActivations(
      channels: channels, height: height, width: width, values: values, exponent: exponent,
      lo: lo, hi: hi)
  }

  /// A random output format: exponent and a clamp range containing 0.
  mutating func format(channels: Int) -> IntegerGraph.Value {
    IntegerGraph.Value(
      name: "out", channels: channels, exponent: Int.random(in: 0...12, using: &self),
      lo: Int32.random(in: -32767...0, using: &self), hi: Int32.random(in: 0...32767, using: &self))
  }

  /// Per-channel multipliers (1 … 2^31 − 1, extremes included) and shifts (0 … `maxShift`).
  mutating func requantization(_ channels: Int, maxShift: Int = 62) -> ([Int32], [Int]) {
    let m = (0..<channels).map { _ -> Int32 in
      switch Int.random(in: 0..<6, using: &self) {
      case 0: 1
      case 1: Int32.max
      default: Int32.random(in: (1 << 20)...Int32.max, using: &self)
      }
    }
    let s = (0..<channels).map { _ in
      Bool.random(using: &self)
        ? Int.random(in: 0...maxShift, using: &self)
        : Int.random(in: min(30, maxShift)...min(40, maxShift), using: &self)
    }
    return (m, s)
  }
}
