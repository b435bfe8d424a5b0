// The fixed-seed generator every randomized test draws from is the package's one SplitMix64.
@_exported import struct WeightFormat.SplitMix64
