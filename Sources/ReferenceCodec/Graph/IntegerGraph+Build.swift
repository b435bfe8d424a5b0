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
