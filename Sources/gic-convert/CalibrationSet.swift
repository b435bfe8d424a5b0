import CLISupport
import Converters
import Foundation
import ReferenceCodec
import WeightFormat

/// Finds and reads the calibration images of a codec conversion.
enum CalibrationSet {
  /// The default set: the `calibration` split of `data/images/manifest.json`.
  static let manifest = "data/images/manifest.json"

  /// Whether converting `input` with `profile` makes a codec model.
  static func needsCalibration(_ input: String, profile: String) throws -> Bool {
    guard (try? InputFile.kind(of: input))?.isStateDict ?? false else { return false }
    if let named = ConversionProfile(rawValue: profile), !named.isCodec { return false }
    // A refused or mismatching input is reported before calibration images are looked for.
    return try ModelConverter.resolveProfile(inputPath: input, profile: profile).isCodec
  }

  /// The PNG files named by `paths` (files, or directories whose `.png` files are taken in name
  /// order); with no paths, the manifest's calibration split when `needed()` says so.
  static func files(paths: [String], needed: () throws -> Bool) throws -> [String] {
    var files: [String] = []
    if paths.isEmpty {
      guard try needed() else { return [] }
      files = try manifestFiles()
    }
    for path in paths {
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw ToolError("\(path): calibration path does not exist", code: "calibration.missing")
      }
      if isDirectory.boolValue {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        let pngs = names.filter { $0.lowercased().hasSuffix(".png") }.sorted()
        guard !pngs.isEmpty else {
          throw ToolError("\(path): no .png files to calibrate on", code: "calibration.empty")
        }
        files += pngs.map { path + "/" + $0 }
      } else {
        files.append(path)
      }
    }
    return files
  }

  /// Reads and decodes the PNG `files`.
  static func images(files: [String]) throws -> [CalibrationImage] {
    try files.map { file in
      let decoded: PNGDecoded
      do { decoded = try PNGCodec.read(path: file) } catch {
        throw LocatedError.attaching(file, to: error)
      }
      let name = file.split(separator: "/").last.map(String.init) ?? file
      return CalibrationImage(
        name: name, width: decoded.image.width, height: decoded.image.height,
        pixels: decoded.image.pixels)
    }
  }

  /// The files of the manifest's calibration split.
  static func manifestFiles() throws -> [String] {
    guard let data = FileManager.default.contents(atPath: manifest),
      let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      let images = root["images"] as? [[String: Any]]
    else {
      throw ToolError(
        "codec profiles need calibration images: pass --calibration PNG|DIR (no readable \(manifest) in the current directory)",
        code: "calibration.missing")
    }
    let directory = (manifest as NSString).deletingLastPathComponent
    let files = images.compactMap { entry -> String? in
      guard let file = entry["file"] as? String, let splits = entry["splits"] as? [String],
        splits.contains("calibration")
      else { return nil }
      return directory + "/" + file
    }
    guard !files.isEmpty else {
      throw ToolError("\(manifest) lists no calibration images", code: "calibration.empty")
    }
    return files.sorted()
  }
}
