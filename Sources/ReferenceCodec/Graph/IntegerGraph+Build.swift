import WeightFormat

extension IntegerGraph {
  /// The operators of spec/integer-ops.md §4–§6 by their stored names.
  public static let operatorNames = OperatorName.allCases.map(\.rawValue)

  /// Checks one node and prepares its operator through its row of ``OperatorTable``; returns
  /// the operator and its output value.
  static func build(_ b: NodeBuilder) throws(ModelError) -> (any IntegerOperator, Value) {
    guard let build = OperatorTable.row(named: b.node.op)?.build else {
      throw b.fail(
        "unknown operator \(b.node.op) (known: \(operatorNames.joined(separator: ", ")))")
    }
    return try build(b)
  }
}

extension IntegerGraph {
  /// Loads the graphs `names` of `file`, up to `threads` of them at once.
  ///
  /// The graphs, and the error thrown when several fail (the first in `names` order), are the
  /// same for every `threads`: each graph is built from the file alone.
  ///
  /// Implementation note: building a graph packs its weights, the largest fixed cost of opening
  /// a model (about 20 ms for an mbt2018-mean N=128 M=192 codec); the graphs are independent.
  ///
  /// - Throws: ``ModelError`` naming the node or tensor at fault.
  static func load(file: WeightFile, names: [String], threads: Int) throws(ModelError)
    -> [IntegerGraph]
  {
    var results = [Result<IntegerGraph, ModelError>?](repeating: nil, count: names.count)
    results.withUnsafeMutableBufferPointer { buffer in
      let slots = DisjointWrites(buffer: buffer)
      DisjointWork.forEach(names.count, threads: threads) { i in
        slots.base[i] = Result { () throws(ModelError) in
          try IntegerGraph(file: file, name: names[i])
        }
      }
    }
    var graphs: [IntegerGraph] = []
    for result in results {
      guard let result else { preconditionFailure("every graph was built") }
      graphs.append(try result.get())
    }
    return graphs
  }
}
