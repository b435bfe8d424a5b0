import Foundation
import WeightFormat

/// Streaming a state dict into the output container: a second thread writes while the input
/// inflates, a `.npz` member in pieces (issue #17).
extension ModelConverter {
  /// Decodes the members of `npz` and hands each to `writer` on a second thread.
  ///
  /// Hashing and writing overlaps inflating. A `.npz` member is handed over in pieces as it
  /// inflates (``NPZReader/forEachArrayInPieces(progress:begin:piece:end:)``), so no member is
  /// held whole, whatever its size (issue #17): at most ``piecesInFlight`` pieces wait for the
  /// writer. The pieces go through ``StreamingWeightFileWriter/write(tensor:piece:)``,
  /// whose output is byte-identical to the whole tensor's. Other formats hand over whole
  /// arrays; at most one waits, so memory stays within two arrays beyond the one being read.
  static func streamMembers(
    _ npz: StateDictFile, into writer: StreamingWeightFileWriter,
    specs: [StreamingWeightFileWriter.TensorSpec], skipping: Set<String> = [], inputPath: String,
    progress: Progress
  ) throws {
    let expected = Dictionary(uniqueKeysWithValues: specs.map { ($0.name, $0) })
    let worker = DispatchQueue(label: "gic.convert.writer")
    let failure = FirstFailure()
    let size = npz.totalBytes
    // The archive is read twice; a member that changed in between is refused.
    func check(_ name: String, _ dtype: DType, _ shape: [Int]) throws(NPZError) {
      guard let spec = expected[name], spec.dtype == dtype, spec.shape == shape else {
        throw .archive(name: name, message: "changed while it was being converted")
      }
    }
    do {
      if let reader = npz.npzReader {
        try streamPieces(
          reader, into: writer, check: check, skipping: skipping, worker: worker,
          failure: failure, progress: { progress($0, size) })
      } else {
        let slots = DispatchSemaphore(value: 1)
        try npz.forEachArray(
          progress: { progress($0, size) },
          { (name, array) in
            try check(name, array.dtype, array.shape)
            if failure.error != nil || skipping.contains(name) { return }
            slots.wait()
            worker.async {
              defer { slots.signal() }
              do {
                try array.data.withUnsafeBytes { (b: UnsafeRawBufferPointer) in
                  try writer.write(tensor: name, data: b)
                }
              } catch {
                failure.record(error)
              }
            }
          })
      }
    } catch {
      worker.sync {}
      // Stopped because the writer failed: its error is the one to report.
      if let written = failure.error, error as? StoppedForWriter != nil { throw written }
      throw LocatedError.located(error, path: inputPath)
    }
    worker.sync {}
    if let error = failure.error { throw error }
  }

  /// The most pieces of a `.npz` member waiting for the writer, each copied into one of as many
  /// buffers of ``NPZReader/pieceBytes``.
  static let piecesInFlight = 4

  /// Hands every member of `reader` to `writer` in pieces, in order, on `worker`.
  ///
  /// A piece (at most ``NPZReader/pieceBytes``) is copied into a free buffer and written while
  /// the next inflates; a larger one (a member reordered whole) is written where it lies, once
  /// the writer has caught up, so it is never copied.
  private static func streamPieces(
    _ reader: NPZReader, into writer: StreamingWeightFileWriter,
    check: (String, DType, [Int]) throws(NPZError) -> Void, skipping: Set<String>,
    worker: DispatchQueue, failure: FirstFailure, progress: (UInt64) -> Void
  ) throws {
    let slots = DispatchSemaphore(value: piecesInFlight)
    let buffers = PieceBuffers(count: piecesInFlight, size: NPZReader.pieceBytes)
    // Runs `job` on the worker, with its copy of `bytes` (empty when none), unless the writer
    // has already failed.
    func enqueue(
      copying bytes: UnsafeRawBufferPointer? = nil,
      _ job: @escaping @Sendable (UnsafeRawBufferPointer) throws -> Void
    ) {
      slots.wait()
      let held = bytes.map { buffers.hold($0) }
      worker.async {
        defer { slots.signal() }
        guard failure.error == nil else { return }
        do { try job(buffers.piece(held)) } catch { failure.record(error) }
      }
    }
    // The member whose pieces go to the writer; nil while a derived one is skipped.
    var current: String?
    var stopped = false
    func stopIfFailed() throws(NPZError) {
      guard failure.error != nil else { return }
      stopped = true
      throw .archive(name: current, message: "stopped: the output could not be written")
    }
    do {
      try reader.forEachArrayInPieces(progress: progress) { (name, header) throws(NPZError) in
        try check(name, header.dtype, header.shape)
        try stopIfFailed()
        current = skipping.contains(name) ? nil : name
        if let name = current { enqueue { _ in try writer.begin(tensor: name) } }
      } piece: { (bytes) throws(NPZError) in
        guard let name = current else { return }
        try stopIfFailed()
        if bytes.count <= NPZReader.pieceBytes {
          enqueue(copying: bytes) { try writer.write(tensor: name, piece: $0) }
        } else {
          worker.sync {
            guard failure.error == nil else { return }
            do { try writer.write(tensor: name, piece: bytes) } catch { failure.record(error) }
          }
        }
      } end: { (name, _) throws(NPZError) in
        guard current != nil else { return }
        enqueue { _ in try writer.end(tensor: name) }
      }
    } catch {
      if stopped { throw StoppedForWriter() }
      throw error
    }
  }

  /// Buffers for pieces waiting for the writer, filled in turn.
  ///
  /// Implementation note: `@unchecked Sendable` because the reader fills buffer `k mod count`
  /// only once it holds one of `count` slots of the serial worker's jobs: the job that read the
  /// buffer last, `count` or more jobs earlier, has then finished and released its slot.
  final class PieceBuffers: @unchecked Sendable {
    /// Where a held piece lies.
    struct Held: Sendable {
      var index: Int
      var count: Int
    }

    private let storage: UnsafeMutableRawBufferPointer
    private let size: Int
    private let count: Int
    private var next = 0

    init(count: Int, size: Int) {
      storage = .allocate(byteCount: count * size, alignment: 64)
      self.size = size
      self.count = count
    }

    deinit { storage.deallocate() }

    /// Copies `bytes` (at most `size`) into the next buffer.
    func hold(_ bytes: UnsafeRawBufferPointer) -> Held {
      let held = Held(index: next, count: bytes.count)
      next = (next + 1) % count
      UnsafeMutableRawBufferPointer(rebasing: storage[range(held)]).copyMemory(from: bytes)
      return held
    }

    /// The bytes of a held piece; empty for none.
    func piece(_ held: Held?) -> UnsafeRawBufferPointer {
      guard let held else { return UnsafeRawBufferPointer(start: nil, count: 0) }
      return UnsafeRawBufferPointer(rebasing: storage[range(held)])
    }

    private func range(_ held: Held) -> Range<Int> {
      (held.index * size)..<(held.index * size + held.count)
    }
  }

  /// The reading stopped because the writer had failed (its error is in ``FirstFailure``).
  struct StoppedForWriter: Error {}

  /// The first error recorded by a worker.
  final class FirstFailure: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: (any Error)?
    var error: (any Error)? { lock.withLock { stored } }
    func record(_ e: any Error) { lock.withLock { if stored == nil { stored = e } } }
  }
}
