import Converters
import Foundation
import Testing
import WeightFormat

/// Inputs that crashed a fuzz target, with what each must now give (docs/robustness.md).
@Suite("NumPy reader fuzz regressions")
struct NPYRegressionTests {
  /// An empty array whose other dimensions are huge is valid, and must read as empty.
  ///
  /// Reordering computed row-major strides as products of the dimensions before looking at the
  /// data, so a Fortran-order or big-endian array of shape (0, 2^40, 2^40) overflowed and
  /// trapped (found while triaging FuzzNPY). Both files are 192 bytes or less.
  @Test(arguments: ["fortran-empty-huge-dims.npy", "big-endian-empty-huge-dims.npy"])
  func emptyArrayWithHugeDimensions(name: String) throws {
    let bytes = try Fixtures.data("regression/npy", name)
    let array = try NPYReader.read(bytes)
    #expect(array.shape == [0, 1 << 40, 1 << 40])
    #expect(array.data.isEmpty)
  }

  /// Every layout of an empty array with up to three dimensions from {0, 1, 2, 2^20, 2^40}: read
  /// without trapping, as empty data.
  @Test func emptyShapesInEveryLayout() throws {
    let dims = [0, 1, 2, 1 << 20, 1 << 40]
    for a in dims {
      for b in dims {
        for c in dims where [a, b, c].contains(0) {
          for descr in ["<i4", ">i4", "|u1", ">f8"] {
            for fortran in [false, true] {
              let header =
                "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), "
                + "'shape': (\(a), \(b), \(c)), }"
              let padded = header + String(repeating: " ", count: 200 - header.utf8.count) + "\n"
              let bytes =
                Data(NPYReader.magic + [1, 0, UInt8(padded.utf8.count), 0]) + Data(padded.utf8)
              let array = try NPYReader.read(bytes)
              #expect(array.shape == [a, b, c] && array.data.isEmpty, "\(header)")
            }
          }
        }
      }
    }
  }
}
