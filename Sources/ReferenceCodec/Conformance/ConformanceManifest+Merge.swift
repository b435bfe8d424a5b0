import WeightFormat

extension ConformanceManifest {
  /// Joins the manifests of vector sets generated in shards (`gic-ref vectors --shard`) into the
  /// manifest of the whole set.
  ///
  /// Every shard lists the same models; the vectors are ordered by model (in that list), then by
  /// source picture name, each source's vectors in generation order: the order of an unsharded
  /// run given its pictures sorted by name, which then gives a byte-identical manifest.
  ///
  /// - Throws: ``BatchError/modelsDiffer(path:)`` if the shards' models or bitstream versions
  ///   differ, ``BatchError/duplicateInput(name:first:second:)`` if a vector id appears twice.
  public static func merged(_ parts: [(path: String, manifest: ConformanceManifest)])
    throws(BatchError) -> ConformanceManifest
  {
    guard let first = parts.first?.manifest else { throw .noInputs(path: "(no manifest)") }
    var seen: [String: String] = [:]
    var vectors: [(model: Int, source: String, order: Int, vector: Vector)] = []
    for (path, manifest) in parts {
      guard manifest.models == first.models, manifest.bitstreamVersion == first.bitstreamVersion
      else { throw .modelsDiffer(path: path) }
      for v in manifest.vectors {
        if let earlier = seen[v.id] {
          throw .duplicateInput(name: v.id, first: earlier, second: path)
        }
        seen[v.id] = path
        let model = first.models.firstIndex { $0.file == v.model } ?? first.models.count
        vectors.append((model, v.source ?? "", vectors.count, v))
      }
    }
    vectors.sort { a, b in
      if a.model != b.model { return a.model < b.model }
      if a.source != b.source { return BatchInput.precedes(a.source, b.source) }
      return a.order < b.order
    }
    return ConformanceManifest(
      bitstreamVersion: first.bitstreamVersion, models: first.models, vectors: vectors.map(\.vector)
    )
  }
}
