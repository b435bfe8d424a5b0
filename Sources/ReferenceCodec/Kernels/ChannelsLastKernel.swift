/// A fast kernel that works in the engine's one activation layout, channels last.
///
/// The (C, H, W) entry point every kernel offers for tests and tools is this protocol's
/// extension: it converts the layout once on the way in and once on the way out.
public protocol ChannelsLastKernel: Sendable {
  /// Runs the kernel on a channels-last tensor, producing a channels-last tensor.
  ///
  /// - Parameters:
  ///   - input: the input, within the clamp range the kernel was checked for.
  ///   - outputExponent: the exponent of the returned tensor.
  ///   - threads: worker threads (the values do not depend on it).
  ///   - path: the kernel implementation (the values do not depend on it).
  /// - Returns: the output, channels last.
  func run(
    _ input: ChannelsLastActivations, outputExponent: Int, threads: Int, path: KernelPath
  ) -> ChannelsLastActivations
}

extension ChannelsLastKernel {
  /// Runs the kernel on a (C, H, W) tensor; equals the operator's reference kernel.
  ///
  /// - Parameters:
  ///   - input: the input, within the clamp range the kernel was checked for.
  ///   - outputExponent: the exponent of the returned tensor.
  ///   - threads: worker threads (the values do not depend on it).
  ///   - path: the kernel implementation (the values do not depend on it).
  /// - Returns: the output, (C, H, W).
  public func run(
    _ input: ActivationTensor, outputExponent: Int, threads: Int = 1,
    path: KernelPath = .automatic
  ) -> ActivationTensor {
    run(
      ChannelsLastActivations(input), outputExponent: outputExponent, threads: threads, path: path
    ).activationTensor
  }
}
