/// A network stored in a container: a list of operator nodes in topological order
/// (spec/integer-ops.md §8).
///
/// The graph lives in the metadata entry `gic.graph.<name>` as a list of items, each a list:
///
///     ["input", value, channels, exponent, lo, hi]      one per graph input, first
///     ["output", value]                                 one per graph output, next
///     ["node", op, [input values…], output value, [name, integer, name, integer, …],
///      [parameter tensors…]]                             one per node, in order
///
/// Values are named by strings; attributes are integers named by strings; parameters are tensor
/// names in the same container. The nesting depth is 3, within the container's limit of 4. This
/// type only encodes and decodes that structure; what an operator means, and which attributes and
/// parameters it needs, is checked by the engine that runs the graph.
public struct GraphDescription: Sendable, Equatable {
  /// A value the graph takes from its caller, with its shape and number format.
  public struct Input: Sendable, Equatable {
    public var name: String
    public var channels: Int
    public var exponent: Int
    public var lo: Int
    public var hi: Int

    public init(name: String, channels: Int, exponent: Int, lo: Int, hi: Int) {
      self.name = name
      self.channels = channels
      self.exponent = exponent
      self.lo = lo
      self.hi = hi
    }
  }

  /// One operator application.
  public struct Node: Sendable, Equatable {
    public var op: String
    public var inputs: [String]
    public var output: String
    /// Integer attributes in stored order (names unique within a node).
    public var attributes: [(name: String, value: Int64)]
    public var parameters: [String]

    public init(
      op: String, inputs: [String], output: String, attributes: [(name: String, value: Int64)],
      parameters: [String]
    ) {
      self.op = op
      self.inputs = inputs
      self.output = output
      self.attributes = attributes
      self.parameters = parameters
    }

    /// The attribute named `name`, if present.
    public func attribute(_ name: String) -> Int64? {
      attributes.first { $0.name == name }?.value
    }

    public static func == (a: Node, b: Node) -> Bool {
      a.op == b.op && a.inputs == b.inputs && a.output == b.output && a.parameters == b.parameters
        && a.attributes.map(\.name) == b.attributes.map(\.name)
        && a.attributes.map(\.value) == b.attributes.map(\.value)
    }
  }

  public var inputs: [Input]
  public var outputs: [String]
  public var nodes: [Node]

  public init(inputs: [Input], outputs: [String], nodes: [Node]) {
    self.inputs = inputs
    self.outputs = outputs
    self.nodes = nodes
  }

  /// The metadata key of the graph named `name`.
  public static func metadataKey(_ name: String) -> String { "gic.graph." + name }

  /// The graph as a metadata value.
  public var metadataValue: MetadataValue {
    var items: [MetadataValue] = []
    for i in inputs {
      items.append(
        .list([
          .string("input"), .string(i.name), .integer(Int64(i.channels)),
          .integer(Int64(i.exponent)), .integer(Int64(i.lo)), .integer(Int64(i.hi)),
        ]))
    }
    for o in outputs { items.append(.list([.string("output"), .string(o)])) }
    for node in nodes {
      items.append(
        .list([
          .string("node"), .string(node.op), .list(node.inputs.map { .string($0) }),
          .string(node.output),
          .list(node.attributes.flatMap { [MetadataValue.string($0.name), .integer($0.value)] }),
          .list(node.parameters.map { .string($0) }),
        ]))
    }
    return .list(items)
  }

  /// Decodes a graph from its metadata value.
  ///
  /// - Parameters:
  ///   - value: the stored metadata value.
  ///   - name: the graph's name, for messages.
  /// - Throws: ``GraphFormatError`` naming the item that does not have the structure above.
  public init(_ value: MetadataValue, name: String) throws(GraphFormatError) {
    func fail(_ item: Int, _ reason: String) -> GraphFormatError {
      .malformed(graph: name, item: item, reason: reason)
    }
    guard case .list(let items) = value else { throw fail(0, "a graph is a list of items") }
    var inputs: [Input] = []
    var outputs: [String] = []
    var nodes: [Node] = []
    for (index, item) in items.enumerated() {
      guard case .list(let f) = item, case .string(let kind)? = f.first else {
        throw fail(index, "an item is a list starting with \"input\", \"output\" or \"node\"")
      }
      switch kind {
      case "input":
        guard outputs.isEmpty, nodes.isEmpty else {
          throw fail(index, "inputs come before outputs and nodes")
        }
        guard f.count == 6, case .string(let n) = f[1], case .integer(let c) = f[2],
          case .integer(let e) = f[3], case .integer(let lo) = f[4], case .integer(let hi) = f[5],
          (1...65536).contains(c), (-64...64).contains(e), (-32767...32767).contains(lo),
          (-32767...32767).contains(hi), lo <= hi
        else {
          throw fail(
            index, "an input is [\"input\", name, channels 1…65536, exponent −64…64, lo, hi]")
        }
        inputs.append(Input(name: n, channels: Int(c), exponent: Int(e), lo: Int(lo), hi: Int(hi)))
      case "output":
        guard nodes.isEmpty else { throw fail(index, "outputs come before nodes") }
        guard f.count == 2, case .string(let n) = f[1] else {
          throw fail(index, "an output is [\"output\", name]")
        }
        outputs.append(n)
      case "node":
        guard f.count == 6, case .string(let op) = f[1], case .list(let ins) = f[2],
          case .string(let out) = f[3], case .list(let attrs) = f[4], case .list(let params) = f[5]
        else {
          throw fail(
            index, "a node is [\"node\", op, [inputs], output, [attributes], [parameters]]")
        }
        var inputNames: [String] = []
        for v in ins {
          guard case .string(let s) = v else { throw fail(index, "input names must be strings") }
          inputNames.append(s)
        }
        guard attrs.count % 2 == 0 else {
          throw fail(index, "attributes are name, integer pairs")
        }
        var attributes: [(name: String, value: Int64)] = []
        for k in stride(from: 0, to: attrs.count, by: 2) {
          guard case .string(let n) = attrs[k], case .integer(let v) = attrs[k + 1] else {
            throw fail(index, "attributes are name, integer pairs")
          }
          guard !attributes.contains(where: { $0.name == n }) else {
            throw fail(index, "attribute \(n) appears twice")
          }
          attributes.append((n, v))
        }
        var parameters: [String] = []
        for p in params {
          guard case .string(let s) = p else {
            throw fail(index, "parameter names must be strings")
          }
          parameters.append(s)
        }
        nodes.append(
          Node(
            op: op, inputs: inputNames, output: out, attributes: attributes,
            parameters: parameters))
      default:
        throw fail(index, "unknown item kind \(kind)")
      }
    }
    guard !inputs.isEmpty, !outputs.isEmpty else {
      throw fail(0, "a graph needs at least one input and one output")
    }
    self.init(inputs: inputs, outputs: outputs, nodes: nodes)
  }
}

/// Why a stored graph could not be decoded.
public enum GraphFormatError: Error, Sendable, Equatable {
  /// Item `item` of graph `graph` does not have the required structure.
  case malformed(graph: String, item: Int, reason: String)

  /// A stable identifier of the error kind.
  public var code: String { "graph." + caseName(of: self) }
}

extension GraphFormatError: GICError {
  /// A one-line message naming the graph and item.
  public var description: String {
    switch self {
    case .malformed(let graph, let item, let reason):
      "graph \(graph), item \(item): \(reason)"
    }
  }
}
