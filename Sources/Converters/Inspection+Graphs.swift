import WeightFormat

extension Inspection {
  /// A stored graph (`gic.graph.<name>`) with named fields, for `inspect --json`: the stored
  /// form is positional lists (spec/integer-ops.md §8, ``GraphDescription``).
  public struct GraphInfo: Encodable, Sendable {
    /// A graph input: its value name and number format.
    public struct Input: Encodable, Sendable {
      public var name: String
      public var channels: Int
      public var exponent: Int
      public var lo: Int
      public var hi: Int
    }

    /// A parameter tensor of a node, with its shape and dtype (nil when the container lacks it).
    public struct Parameter: Encodable, Sendable {
      public var name: String
      public var dtype: String?
      public var shape: [Int]?
    }

    /// One operator application.
    public struct Node: Encodable, Sendable {
      public var op: String
      public var inputs: [String]
      public var output: String
      public var attributes: [String: Int64]
      public var parameters: [Parameter]
    }

    public var name: String
    public var inputs: [Input]
    public var outputs: [String]
    public var nodes: [Node]

    /// The graphs of `file` that decode, sorted by name (one that does not decode stays in the
    /// metadata as stored).
    static func all(in file: WeightFile) -> [GraphInfo] {
      let prefix = GraphDescription.metadataKey("")
      let tensors = Dictionary(
        file.tensors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
      return file.metadata.compactMap { entry -> GraphInfo? in
        guard entry.key.hasPrefix(prefix) else { return nil }
        let name = String(entry.key.dropFirst(prefix.count))
        guard let graph = try? GraphDescription(entry.value, name: name) else { return nil }
        return GraphInfo(
          name: name,
          inputs: graph.inputs.map {
            Input(name: $0.name, channels: $0.channels, exponent: $0.exponent, lo: $0.lo, hi: $0.hi)
          },
          outputs: graph.outputs,
          nodes: graph.nodes.map { node in
            Node(
              op: node.op, inputs: node.inputs, output: node.output,
              attributes: Dictionary(
                node.attributes.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a }),
              parameters: node.parameters.map {
                Parameter(name: $0, dtype: tensors[$0]?.dtype.name, shape: tensors[$0]?.shape)
              })
          })
      }.sorted { $0.name < $1.name }
    }

    /// The graph as text lines: a header, then one line per node.
    var textLines: [String] {
      let ins = inputs.map { "\($0.name) (\($0.channels) ch)" }.joined(separator: ", ")
      var lines = [
        "  \(name): \(ins) → \(outputs.joined(separator: ", ")), \(nodes.count) nodes"
      ]
      for node in nodes {
        let attributes = node.attributes.keys.sorted().map { "\($0)=\(node.attributes[$0] ?? 0)" }
        lines.append(
          "    \(node.op) \(node.inputs.joined(separator: ", ")) → \(node.output)"
            + (attributes.isEmpty ? "" : "  " + attributes.joined(separator: " ")))
      }
      return lines
    }
  }
}
