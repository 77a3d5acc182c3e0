import Testing
@testable import AgoraLedgerStore
