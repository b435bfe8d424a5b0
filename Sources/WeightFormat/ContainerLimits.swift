/// The hard limits of container format 1.0 (spec/container.md §8).
///
/// A reader checks each before allocating anything whose size depends on it.
public enum ContainerLimits {
  public static let maxFileLength: UInt64 = 1 << 40
  public static let sectionCount: ClosedRange<UInt32> = 4...32
  public static let maxIndexSectionLength: UInt64 = 64 << 20
  public static let maxMetadataEntries = 4_096
  public static let maxKeyBytes = 255
  public static let maxStringBytes = 1 << 20
  public static let maxListElements = 65_536
  public static let maxListDepth = 4
  public static let maxMetadataValues = 1_000_000
  public static let maxTensors = 65_536
  public static let maxCDFTables = 65_536
  public static let maxNameBytes = 1_024
  public static let maxRank = 16
  public static let maxDimension: UInt64 = 1 << 40
  public static let maxTensorBytes: UInt64 = 1 << 40
  public static let precisionRange: ClosedRange<Int> = 1...16
  public static let maxDistributions = 1 << 20
  public static let maxCDFEntries = 1 << 26
}
