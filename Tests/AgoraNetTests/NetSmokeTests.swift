import Testing
@testable import AgoraNet
