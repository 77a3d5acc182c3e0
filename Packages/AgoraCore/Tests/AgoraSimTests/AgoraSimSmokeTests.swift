import Testing
@testable import AgoraSim
