import Foundation
import WeightFormat

extension RestrictedPickle {
  /// Runs the opcodes to STOP.
  mutating func run() throws(PyTorchError) -> Value {
    while true {
      let start = position
      let op = try uint(1)
      switch UInt8(op) {
      case 0x80: _ = try uint(1)  // PROTO
      case 0x2E:  // STOP
        let v = try pop()
        return v
      case 0x28: marks.append(stackCount)  // MARK
      case 0x7D: try push(try add(.dict, []))  // EMPTY_DICT
      case 0x5D: try push(try add(.list, []))  // EMPTY_LIST
      case 0x29: try push(try add(.tuple, []))  // EMPTY_TUPLE
      case 0x74: try push(try add(.tuple, try popMark()))  // TUPLE
      case 0x85, 0x86, 0x87:  // TUPLE1-3
        var items: [Value] = []
        for _ in 0..<(op - 0x84) { items.insert(try pop(), at: 0) }
        try push(try add(.tuple, items))
      case 0x4E: try push(.none)
      case 0x88: try push(.bool(true))
      case 0x89: try push(.bool(false))
      case 0x4B: try push(.int(try uint(1)))  // BININT1
      case 0x4D: try push(.int(try uint(2)))  // BININT2
      case 0x4A: try push(.int(Int(Int32(truncatingIfNeeded: try uint(4)))))  // BININT
      case 0x8A:  // LONG1
        let n = try uint(1)
        guard n <= 8 else { throw .malformed(offset: start, detail: "integer over 64 bits") }
        var v = try uint(n)
        if n > 0 && n < 8 && v >> (8 * n - 1) != 0 { v -= 1 << (8 * n) }
        try push(.int(v))
      case 0x47:  // BINFLOAT (big-endian)
        var bits: UInt64 = 0
        for b in try take(8) { bits = bits << 8 | UInt64(b) }
        try push(.float(Double(bitPattern: bits)))
      case 0x58, 0x54:  // BINUNICODE, BINSTRING
        try push(.string(try text(try uint(4))))
      case 0x55: try push(.string(try text(try uint(1))))  // SHORT_BINSTRING
      case 0x71: try memoize(try uint(1))  // BINPUT
      case 0x72: try memoize(try uint(4))  // LONG_BINPUT
      case 0x68: try recall(try uint(1))  // BINGET
      case 0x6A: try recall(try uint(4))  // LONG_BINGET
      case 0x61:  // APPEND
        let v = try pop()
        try extend(try top(), [v], .list)
      case 0x65:  // APPENDS
        let items = try popMark()
        try extend(try top(), items, .list)
      case 0x73:  // SETITEM
        let v = try pop()
        let k = try pop()
        try extend(try top(), [k, v], .dict)
      case 0x75:  // SETITEMS
        let items = try popMark()
        guard items.count % 2 == 0 else {
          throw .malformed(offset: start, detail: "SETITEMS with an odd number of items")
        }
        try extend(try top(), items, .dict)
      case 0x63:  // GLOBAL
        let module = try line()
        let name = try line()
        let full = module + "." + name
        guard Self.globals.contains(full) else { throw .refusedGlobal(name: full, offset: start) }
        try push(.global(full))
      case 0x51:  // BINPERSID
        try push(try persistentID(try pop(), at: start))
      case 0x52:  // REDUCE
        let args = try pop()
        let callable = try pop()
        try push(try reduce(callable, args, at: start))
      case 0x62:  // BUILD: only an OrderedDict's attributes (`_metadata`), which are ignored
        _ = try pop()
        guard case .container(let i) = try top(), containers[i].kind == .dict else {
          throw .malformed(offset: start, detail: "BUILD on a value that is not a dict")
        }
      default:
        throw .refusedOpcode(opcode: UInt8(op), offset: start)
      }
    }
  }

  private mutating func text(_ n: Int) throws(PyTorchError) -> String {
    String(decoding: try take(n), as: UTF8.self)
  }

  private func top() throws(PyTorchError) -> Value {
    guard let v = peek else { throw .malformed(offset: position, detail: "empty stack") }
    return v
  }

  private func items(_ v: Value) -> [Value]? {
    guard case .container(let i) = v, containers[i].kind == .tuple else { return nil }
    return containers[i].items
  }

  private func ints(_ v: Value) -> [Int]? {
    guard let items = items(v) else { return nil }
    var out: [Int] = []
    for item in items {
      guard case .int(let n) = item else { return nil }
      out.append(n)
    }
    return out
  }

  private mutating func persistentID(_ id: Value, at offset: Int) throws(PyTorchError) -> Value {
    guard let t = items(id), t.count == 5, t[0] == .string("storage"),
      case .global(let type) = t[1], Self.storageTypes.contains(type),
      case .string(let key) = t[2], case .int(let count) = t[4], count >= 0,
      !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" })
    else {
      throw .malformed(
        offset: offset,
        detail: "persistent id is not ('storage', torch.<T>Storage, key, "
          + "location, numel) with a plain key")
    }
    storages.append(Storage(typeName: type, key: key, count: count))
    return .storage(storages.count - 1)
  }

  private mutating func reduce(_ callable: Value, _ args: Value, at offset: Int)
    throws(PyTorchError) -> Value
  {
    guard case .global(let name) = callable, let a = items(args) else {
      throw .malformed(offset: offset, detail: "REDUCE of something not an accepted global")
    }
    switch name {
    case "collections.OrderedDict" where a.isEmpty:
      return try add(.dict, [])
    case "torch._utils._rebuild_tensor_v2" where a.count >= 4:
      guard case .storage(let s) = a[0], case .int(let o) = a[1], let shape = ints(a[2]),
        let strides = ints(a[3]), shape.count == strides.count
      else {
        throw .malformed(
          offset: offset,
          detail: "_rebuild_tensor_v2 arguments are not (storage, offset, "
            + "size, stride, …)")
      }
      tensors.append(TensorCall(storage: s, offset: o, shape: shape, strides: strides))
      return .tensor(tensors.count - 1)
    case "torch._utils._rebuild_parameter" where a.count >= 1:
      guard case .tensor = a[0] else {
        throw .malformed(offset: offset, detail: "_rebuild_parameter of something not a tensor")
      }
      return a[0]
    default:
      throw .refusedGlobal(name: "\(name) called with these arguments", offset: offset)
    }
  }
}
