/// A network stored in a container: a list of operator nodes in topological order
/// (spec/integer-ops.md §8).
///
/// The graph lives in the metadata entry `gic.graph.<name>` as a list whose items are
///
///     ["inputs", [[value, channels, exponent, lo, hi], …]]      (first item)
///     ["outputs", [value, …]]                                   (second item)
///     [op, [input values…], output value, [[attribute, integer], …], [parameter tensors…]]
///
/// Values are named by strings; attributes are integers named by strings; parameters are tensor
/// names in the same container. This type only encodes and decodes that structure; what an
/// operator means, and which attributes and parameters it needs, is checked by the engine that
/// runs the graph.
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
    let inputList = MetadataValue.list(
      inputs.map { i in
        .list([
          .string(i.name), .integer(Int64(i.channels)), .integer(Int64(i.exponent)),
          .integer(Int64(i.lo)), .integer(Int64(i.hi)),
        ])
      })
    var items: [MetadataValue] = [
      .list([.string("inputs"), inputList]),
      .list([.string("outputs"), .list(outputs.map { .string($0) })]),
    ]
    for node in nodes {
      items.append(
        .list([
          .string(node.op), .list(node.inputs.map { .string($0) }), .string(node.output),
          .list(node.attributes.map { .list([.string($0.name), .integer($0.value)]) }),
          .list(node.parameters.map { .string($0) }),
        ]))
    }
    return .list(items)
  }

  /// Decodes a graph from its metadata value.
  ///
  /// - Parameter name: the graph's name, for messages.
  /// - Throws: ``GraphFormatError`` naming the item that does not have the structure above.
  public init(_ value: MetadataValue, name: String) throws(GraphFormatError) {
    func fail(_ item: Int, _ reason: String) -> GraphFormatError {
      .malformed(graph: name, item: item, reason: reason)
    }
    guard case .list(let items) = value, items.count >= 2 else {
      throw fail(0, "a graph is a list of at least an inputs item and an outputs item")
    }
    guard case .list(let head) = items[0], head.count == 2, head[0] == .string("inputs"),
      case .list(let inputItems) = head[1]
    else { throw fail(0, "the first item must be [\"inputs\", [...]]") }
    var inputs: [Input] = []
    for entry in inputItems {
      guard case .list(let f) = entry, f.count == 5, case .string(let n) = f[0],
        case .integer(let c) = f[1], case .integer(let e) = f[2], case .integer(let lo) = f[3],
        case .integer(let hi) = f[4], (1...65536).contains(c), (-64...64).contains(e),
        (-32767...32767).contains(lo), (-32767...32767).contains(hi), lo <= hi
      else {
        throw fail(0, "an input must be [name, channels 1…65536, exponent −64…64, lo, hi]")
      }
      inputs.append(Input(name: n, channels: Int(c), exponent: Int(e), lo: Int(lo), hi: Int(hi)))
    }
    guard case .list(let tail) = items[1], tail.count == 2, tail[0] == .string("outputs"),
      case .list(let outputItems) = tail[1]
    else { throw fail(1, "the second item must be [\"outputs\", [...]]") }
    var outputs: [String] = []
    for entry in outputItems {
      guard case .string(let n) = entry else { throw fail(1, "output names must be strings") }
      outputs.append(n)
    }
    var nodes: [Node] = []
    for (index, item) in items.enumerated().dropFirst(2) {
      guard case .list(let f) = item, f.count == 5, case .string(let op) = f[0],
        case .list(let ins) = f[1], case .string(let out) = f[2], case .list(let attrs) = f[3],
        case .list(let params) = f[4]
      else {
        throw fail(index, "a node must be [op, [inputs], output, [attributes], [parameters]]")
      }
      var inputNames: [String] = []
      for v in ins {
        guard case .string(let s) = v else { throw fail(index, "input names must be strings") }
        inputNames.append(s)
      }
      var attributes: [(name: String, value: Int64)] = []
      for a in attrs {
        guard case .list(let pair) = a, pair.count == 2, case .string(let n) = pair[0],
          case .integer(let v) = pair[1]
        else { throw fail(index, "an attribute must be [name, integer]") }
        guard !attributes.contains(where: { $0.name == n }) else {
          throw fail(index, "attribute \(n) appears twice")
        }
        attributes.append((n, v))
      }
      var parameters: [String] = []
      for p in params {
        guard case .string(let s) = p else { throw fail(index, "parameter names must be strings") }
        parameters.append(s)
      }
      nodes.append(
        Node(
          op: op, inputs: inputNames, output: out, attributes: attributes, parameters: parameters))
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

extension GraphFormatError: CustomStringConvertible {
  /// A one-line message naming the graph and item.
  public var description: String {
    switch self {
    case .malformed(let graph, let item, let reason):
      "graph \(graph), item \(item): \(reason)"
    }
  }
}
