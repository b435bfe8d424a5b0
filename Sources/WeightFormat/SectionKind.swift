/// The section kinds of container format 1.0 (spec/container.md §4).
public enum SectionKind {
  public static let meta: UInt32 = 1
  public static let tensors: UInt32 = 2
  public static let cdfs: UInt32 = 3
  public static let data: UInt32 = 4

  /// The kinds every 1.x file carries, in table order.
  static let required: [UInt32] = [meta, tensors, cdfs, data]

  /// A readable name for a kind, for messages.
  static func name(_ kind: UInt32) -> String {
    switch kind {
    case meta: "META"
    case tensors: "TENSORS"
    case cdfs: "CDFS"
    case data: "DATA"
    default: "kind \(kind)"
    }
  }
}
