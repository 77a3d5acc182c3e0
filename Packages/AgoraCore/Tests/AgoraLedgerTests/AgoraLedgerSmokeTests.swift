import Testing
@testable import AgoraLedger
