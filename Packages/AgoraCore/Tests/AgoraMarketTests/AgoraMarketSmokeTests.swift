import Testing
@testable import AgoraMarket
