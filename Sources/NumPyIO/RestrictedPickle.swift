import WeightFormat

/// A reader of the pickle streams `torch.save` writes for a state dict, which builds values and
/// never calls anything.
///
/// Accepts the protocol-2 opcodes of dicts, lists, tuples, strings, numbers, booleans and None,
/// and only these globals: `collections.OrderedDict`, `torch._utils._rebuild_tensor_v2`,
/// `torch._utils._rebuild_parameter` and the typed storages (`torch.FloatStorage`, …) of
/// persistent ids. Any other global or opcode is refused where it appears, naming it.
/// Containers live in an arena and refer to each other by index, so a structure that refers to
/// itself (through the memo) neither leaks nor recurses while it is built.
struct RestrictedPickle {
  /// A pickled value.
  enum Value: Equatable {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case container(Int)
    case global(String)
    case storage(Int)
    case tensor(Int)
  }
  enum Kind { case list, tuple, dict }
  struct Container {
    var kind: Kind
    var items: [Value]  // a dict's keys and values alternate
    var depth = 0
  }
  /// A persistent id `('storage', torch.XStorage, key, location, numel)`.
  struct Storage: Equatable {
    var typeName: String
    var key: String
    var count: Int
  }
  /// `_rebuild_tensor_v2(storage, offset, size, stride, …)`.
  struct TensorCall: Equatable {
    var storage: Int
    var offset: Int
    var shape: [Int]
    var strides: [Int]
  }

  static let maxDepth = 100
  static let maxMemo = 1 << 20
  static let storageTypes = [
    "Float", "Double", "Half", "BFloat16", "Long", "Int", "Short", "Char", "Byte", "Bool",
  ].map { "torch.\($0)Storage" }
  static let globals =
    Set([
      "collections.OrderedDict", "torch._utils._rebuild_tensor_v2",
      "torch._utils._rebuild_parameter",
    ]).union(storageTypes)

  var containers: [Container] = []
  var storages: [Storage] = []
  var tensors: [TensorCall] = []

  private var stack: [Value] = []
  var marks: [Int] = []
  var stackCount: Int { stack.count }
  var peek: Value? { stack.last }
  var position: Int { at }
  private var memo: [Int: Value] = [:]
  private let bytes: [UInt8]
  private var at = 0

  /// Parses `bytes` to its STOP; returns the pickled value.
  static func parse(_ bytes: [UInt8]) throws(PyTorchError) -> (RestrictedPickle, Value) {
    var reader = RestrictedPickle(bytes: bytes)
    let value = try reader.run()
    return (reader, value)
  }

  private init(bytes: [UInt8]) { self.bytes = bytes }

  func depth(_ v: Value) -> Int {
    if case .container(let i) = v { return containers[i].depth }
    return 0
  }

  mutating func add(_ kind: Kind, _ items: [Value]) throws(PyTorchError) -> Value {
    let depth = (items.map(depth).max() ?? -1) + 1
    guard depth <= Self.maxDepth else { throw .tooDeep(limit: Self.maxDepth) }
    containers.append(Container(kind: kind, items: items, depth: depth))
    return .container(containers.count - 1)
  }

  /// Appends `items` to the list or dict `target`.
  mutating func extend(_ target: Value, _ items: [Value], _ kind: Kind)
    throws(PyTorchError)
  {
    guard case .container(let i) = target, containers[i].kind == kind else {
      throw .malformed(offset: at, detail: "append or set-item on a value that is not a \(kind)")
    }
    let depth = (items.map(depth).max() ?? -1) + 1
    guard depth <= Self.maxDepth else { throw .tooDeep(limit: Self.maxDepth) }
    containers[i].depth = max(containers[i].depth, depth)
    containers[i].items += items
  }

  mutating func pop() throws(PyTorchError) -> Value {
    guard let v = stack.popLast(), marks.last.map({ stack.count >= $0 }) ?? true else {
      throw .malformed(offset: at, detail: "stack underflow")
    }
    return v
  }

  mutating func popMark() throws(PyTorchError) -> [Value] {
    guard let m = marks.popLast(), m <= stack.count else {
      throw .malformed(offset: at, detail: "no MARK")
    }
    defer { stack.removeSubrange(m...) }
    return Array(stack[m...])
  }

  mutating func take(_ n: Int) throws(PyTorchError) -> ArraySlice<UInt8> {
    guard n >= 0, n <= bytes.count - at else {
      throw .malformed(offset: at, detail: "truncated: \(n) bytes wanted")
    }
    defer { at += n }
    return bytes[at..<(at + n)]
  }

  mutating func uint(_ n: Int) throws(PyTorchError) -> Int {
    var v = 0
    for (i, b) in try take(n).enumerated() { v |= Int(b) << (8 * i) }
    return v
  }

  mutating func line() throws(PyTorchError) -> String {
    guard let end = bytes[at...].prefix(256).firstIndex(of: 0x0A) else {
      throw .malformed(offset: at, detail: "GLOBAL name without a newline in 256 bytes")
    }
    let text = String(decoding: bytes[at..<end], as: UTF8.self)
    at = end + 1
    return text
  }

  mutating func memoize(_ key: Int) throws(PyTorchError) {
    guard let top = stack.last, memo.count < Self.maxMemo || memo[key] != nil else {
      throw .malformed(offset: at, detail: "memo put with an empty stack or too many entries")
    }
    memo[key] = top
  }

  mutating func recall(_ key: Int) throws(PyTorchError) {
    guard let v = memo[key] else { throw .malformed(offset: at, detail: "memo key \(key) unset") }
    stack.append(v)
  }

  mutating func push(_ v: Value) throws(PyTorchError) {
    guard stack.count < 1 << 20 else { throw .malformed(offset: at, detail: "stack too deep") }
    stack.append(v)
  }
}
