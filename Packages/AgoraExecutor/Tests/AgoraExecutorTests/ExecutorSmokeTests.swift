import Testing
@testable import AgoraExecutor
