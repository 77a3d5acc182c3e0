import Testing
@testable import AgoraGossip
