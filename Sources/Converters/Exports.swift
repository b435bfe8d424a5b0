// The NumPy and archive I/O the converter reads and writes through, re-exported so that
// `import Converters` keeps giving it.
@_exported import NumPyIO
