import Foundation
import WeightFormat

/// Reads the state dict of a PyTorch checkpoint in the zip format of `torch.save` (PyTorch ≥ 1.6):
/// `<name>/data.pkl`, `<name>/data/<key>` storages, `<name>/byteorder`.
///
/// `data.pkl` is read by ``RestrictedPickle``, which builds values and never runs anything.
/// The state dict is the pickled dict itself, or its `state_dict` entry (CompressAI's
/// `examples/train.py` checkpoints: the other entries, such as the optimizer's state, are read
/// under the same restrictions and then ignored); a `module.` prefix on every key is removed.
/// Every tensor's offset, shape and strides are checked against its storage before it is copied.
public enum PyTorchCheckpoint {
  /// The largest `data.pkl` read: 64 MiB (a state dict's is a few KB to a few MB).
  public static let maxPickleBytes = 64 << 20
  /// The most elements one tensor may hold (1 GiB of float32).
  public static let maxElements = 1 << 28

  /// The file's first bytes: a legacy checkpoint or a bare pickle starts with a pickle PROTO.
  public static func isLegacy(_ head: [UInt8]) -> Bool { head.first == 0x80 }

  /// Reads the state dict of the checkpoint at `path`, keys in pickle order.
  ///
  /// - Throws: ``ConverterError``, ``NPZError`` (the zip) or ``PyTorchError``.
  public static func read(path: String) throws -> [(name: String, array: NumPyArray)] {
    try read(source: try ByteSource.open(path: path))
  }

  /// Reads the state dict of a checkpoint held in memory.
  public static func read(_ bytes: Data) throws -> [(name: String, array: NumPyArray)] {
    try read(source: .memory(bytes))
  }

  static func read(source: ByteSource) throws -> [(name: String, array: NumPyArray)] {
    if isLegacy(source.read(0..<2)) {
      source.close()
      throw PyTorchError.legacyFormat
    }
    let zip = try NPZReader.anyMembers(source)
    let members = try zip.readMembers()
    let pickles = members.keys.filter {
      $0.hasSuffix("/data.pkl") && $0.split(separator: "/").count == 2
    }
    guard pickles.count == 1, let pickle = pickles.first, let bytes = members[pickle] else {
      throw PyTorchError.missingMember(name: "<name>/data.pkl")
    }
    guard bytes.count <= maxPickleBytes else {
      throw PyTorchError.malformed(offset: 0, detail: "data.pkl over \(maxPickleBytes) bytes")
    }
    let root = String(pickle.dropLast("data.pkl".count))
    if let order = members[root + "byteorder"], String(decoding: order, as: UTF8.self) != "little" {
      throw PyTorchError.noStateDict(
        detail: "big-endian checkpoint; re-save it on a little-endian machine")
    }
    let (p, value) = try RestrictedPickle.parse(Array(bytes))
    return try stateDict(p, value) { key in members[root + "data/" + key] }
  }

  /// The `name → tensor` entries of the state dict in `value`.
  static func stateDict(
    _ p: RestrictedPickle, _ value: RestrictedPickle.Value, storage: (String) -> Data?
  ) throws(PyTorchError) -> [(name: String, array: NumPyArray)] {
    var dict = try entries(p, value, path: "the pickled object")
    if let nested = dict.first(where: { $0.key == .string("state_dict") }) {
      dict = try entries(p, nested.value, path: "state_dict")
    }
    var out: [(name: String, array: NumPyArray)] = []
    for (key, item) in dict {
      guard case .string(let name) = key else {
        throw .noStateDict(detail: "a key is not a string")
      }
      guard case .tensor(let t) = item else {
        throw .noStateDict(detail: "entry \(JSONText.quote(name)) is not a tensor")
      }
      out.append((name, try array(p, p.tensors[t], key: name, storage: storage)))
    }
    if !out.isEmpty, out.allSatisfy({ $0.name.hasPrefix("module.") }) {
      out = out.map { (String($0.name.dropFirst("module.".count)), $0.array) }
    }
    return out
  }

  private static func entries(_ p: RestrictedPickle, _ v: RestrictedPickle.Value, path: String)
    throws(PyTorchError) -> [(key: RestrictedPickle.Value, value: RestrictedPickle.Value)]
  {
    guard case .container(let i) = v, p.containers[i].kind == .dict else {
      throw .noStateDict(detail: "\(path) is not a dict")
    }
    let items = p.containers[i].items
    return stride(from: 0, to: items.count, by: 2).map { (items[$0], items[$0 + 1]) }
  }

  static let dtypes: [String: DType] = [
    "torch.FloatStorage": .float32, "torch.DoubleStorage": .float64,
    "torch.HalfStorage": .float16, "torch.LongStorage": .int64, "torch.IntStorage": .int32,
    "torch.ShortStorage": .int16, "torch.CharStorage": .int8, "torch.ByteStorage": .uint8,
    "torch.BoolStorage": .bool,
  ]

  /// Copies a tensor's elements out of its storage, row-major, after checking every index.
  static func array(
    _ p: RestrictedPickle, _ t: RestrictedPickle.TensorCall, key: String,
    storage: (String) -> Data?
  ) throws(PyTorchError) -> NumPyArray {
    let s = p.storages[t.storage]
    guard let dtype = dtypes[s.typeName] else {
      throw .invalidTensor(key: key, detail: "\(s.typeName) is not a dtype gic reads; use float32")
    }
    guard let data = storage(s.key) else { throw .missingMember(name: "data/" + s.key) }
    let size = dtype.itemSize
    guard s.count <= data.count / size, data.count == s.count * size else {
      throw .invalidTensor(
        key: key, detail: "storage \(s.key) holds \(data.count) bytes, not \(s.count) × \(size)")
    }
    var count = 1
    var last = t.offset
    for (n, st) in zip(t.shape, t.strides) {
      guard n >= 0, st >= 0 else {
        throw .invalidTensor(key: key, detail: "negative size or stride in \(t.shape) \(t.strides)")
      }
      let (c, o1) = count.multipliedReportingOverflow(by: n)
      guard !o1, c <= maxElements else {
        throw .invalidTensor(key: key, detail: "shape \(t.shape) over \(maxElements) elements")
      }
      count = c
      if n > 0 {
        let (step, o2) = (n - 1).multipliedReportingOverflow(by: st)
        let (l, o3) = last.addingReportingOverflow(step)
        guard !o2, !o3 else { throw .invalidTensor(key: key, detail: "strides overflow") }
        last = l
      }
    }
    guard t.offset >= 0, count == 0 || last < s.count else {
      throw .invalidTensor(
        key: key,
        detail: "storage offset \(t.offset), shape \(t.shape) and strides \(t.strides) reach "
          + "element \(last), past the end of its storage of \(s.count) elements")
    }
    var out = Data(count: count * size)
    if count > 0 {
      data.withUnsafeBytes { src in
        out.withUnsafeMutableBytes { dst in
          guard let from = src.baseAddress, let to = dst.baseAddress else { return }
          var index = [Int](repeating: 0, count: t.shape.count)
          for e in 0..<count {
            var element = t.offset
            for (i, st) in zip(index, t.strides) { element += i * st }
            to.advanced(by: e * size).copyMemory(
              from: from.advanced(by: element * size), byteCount: size)
            var d = t.shape.count - 1
            while d >= 0 {
              index[d] += 1
              if index[d] < t.shape[d] { break }
              index[d] = 0
              d -= 1
            }
          }
        }
      }
    }
    return NumPyArray(dtype: dtype, shape: t.shape, data: out)
  }
}
