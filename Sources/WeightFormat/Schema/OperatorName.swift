/// The operators a stored integer graph may use, by the name `GraphDescription.Node.op` stores
/// (spec/integer-ops.md §4–§6).
///
/// The converter writes these names and the decoder's operator table (ReferenceCodec,
/// `OperatorTable`) reads them; an operator added to the format is added here first.
public enum OperatorName: String, Sendable, CaseIterable {
  case conv2d
  case convTranspose2d = "conv_transpose2d"
  case gdn
  case igdn
  case relu
  case leakyReLU = "leaky_relu"
  case abs
  case clamp
  case add
  case concat
  case pixelShuffle = "pixel_shuffle"
  case affine
  case conditionedAffine = "conditioned_affine"
  case lookup
  case mul
}
