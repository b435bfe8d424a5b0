// The fixed-seed generator and other helpers shared by every test bundle.
@_exported import GICTestSupport
