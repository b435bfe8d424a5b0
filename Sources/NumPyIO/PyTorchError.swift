import WeightFormat

/// Why a PyTorch checkpoint (`torch.save`, zip format) could not be read.
public enum PyTorchError: Error, Sendable, Equatable {
  /// A pre-1.6 (non-zip) checkpoint, or a bare pickle.
  case legacyFormat
  /// The zip holds no `<name>/data.pkl`, or a member the checkpoint needs is missing.
  case missingMember(name: String)
  /// The pickle calls a global gic does not accept (nothing is ever run).
  case refusedGlobal(name: String, offset: Int)
  /// An opcode outside what a state dict pickle uses.
  case refusedOpcode(opcode: UInt8, offset: Int)
  /// The pickle stream is malformed.
  case malformed(offset: Int, detail: String)
  /// A structure nested too deeply.
  case tooDeep(limit: Int)
  /// A tensor's storage, offset, shape or strides are inconsistent or too large.
  case invalidTensor(key: String, detail: String)
  /// The checkpoint holds no state dict of tensors.
  case noStateDict(detail: String)

  public var code: String { "pytorch." + caseName(of: self) }
}

extension PyTorchError: GICError {
  public var description: String {
    let advice =
      "re-save it with torch.save in PyTorch ≥ 1.6, or export it to .npz with "
      + "python/export_compressai.py"
    return switch self {
    case .legacyFormat:
      "a legacy (pre-1.6, non-zip) PyTorch checkpoint or bare pickle, which gic does not read: "
        + advice
    case .missingMember(let name): "the checkpoint has no member \(JSONText.quote(name))"
    case .refusedGlobal(let name, let offset):
      "data.pkl offset \(offset): refused global \(name) (a state dict holds only "
        + "OrderedDicts, tensors and plain values; nothing was run)"
    case .refusedOpcode(let opcode, let offset):
      "data.pkl offset \(offset): pickle opcode 0x\(String(opcode, radix: 16)) is not one a state "
        + "dict uses; refused"
    case .malformed(let offset, let detail): "data.pkl offset \(offset): \(detail)"
    case .tooDeep(let limit): "data.pkl nests structures deeper than \(limit) levels"
    case .invalidTensor(let key, let detail): "tensor \(JSONText.quote(key)): \(detail)"
    case .noStateDict(let detail): "no state dict of tensors: \(detail)"
    }
  }
}
