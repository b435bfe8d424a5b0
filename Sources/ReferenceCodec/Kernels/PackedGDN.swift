/// Temporary: replaced by the fast kernel.
public struct PackedGDN: Sendable {
  public let layer: GDNLayer
  public init(_ layer: GDNLayer) { self.layer = layer }
  public func accumulatorBound(inputBound x: Int64) -> Int64 { layer.accumulatorBound(inputBound: x) }
  public func run(
    _ input: ChannelsLastActivations, outputExponent: Int, threads: Int = 1,
    path: KernelPath = .automatic
  ) -> ChannelsLastActivations {
    ChannelsLastActivations(layer.reference(input.activationTensor, outputExponent: outputExponent))
  }
}
