import Foundation
import Testing
@testable import AgoraExecutor

/// Speeds kept between starts: looked up by model, build, CPU and threads; the faster
/// measurement wins; a damaged file is a miss, never an error or a zero speed.
@Suite struct SpeedCacheTests {
    static func profile(_ prefill: Double, _ decode: Double, threads: Int = 2) -> SpeedProfile {
        SpeedProfile(prefillTokensPerSecond: prefill, decodeTokensPerSecond: decode, threads: threads, measurementSeconds: 1)
    }

    @Test func keepsTheFastestMeasurementPerModelAndThreads() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("agora-speeds-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cache = SpeedCache(path: dir + "/sub/speeds.json")
        #expect(cache.speed(modelID: "a", threads: 2) == nil)
        cache.record(Self.profile(100, 20), modelID: "a")
        cache.record(Self.profile(80, 25), modelID: "a")          // measured while busy: prefill lower
        cache.record(Self.profile(50, 5, threads: 1), modelID: "a")
        let kept = try #require(cache.speed(modelID: "a", threads: 2))
        #expect(kept.prefillTokensPerSecond == 100 && kept.decodeTokensPerSecond == 25)
        #expect(cache.speed(modelID: "a", threads: 1)?.decodeTokensPerSecond == 5)
        #expect(cache.speed(modelID: "b", threads: 2) == nil)
        // Another process's cache object reads the same file.
        #expect(SpeedCache(path: cache.path).speed(modelID: "a", threads: 2) == kept)
    }

    @Test func aDamagedFileIsAMiss() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("agora-speeds-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let cache = SpeedCache(path: dir + "/speeds.json")
        _ = FileManager.default.createFile(atPath: cache.path, contents: Data("{not json".utf8))
        #expect(cache.speed(modelID: "a", threads: 2) == nil)
        cache.record(Self.profile(0, 20), modelID: "a")            // a zero speed is never served
        #expect(cache.speed(modelID: "a", threads: 2) == nil)
        cache.record(Self.profile(10, 20), modelID: "b")
        #expect(cache.speed(modelID: "b", threads: 2)?.prefillTokensPerSecond == 10)
    }
}
