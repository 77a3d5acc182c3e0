import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A small client of a node's HTTP API, for the CLI (`submit`, `peers`, `jobs`, `testnet`).
struct NodeAPIClient: Sendable {
    /// Base URL, e.g. `http://127.0.0.1:8700`.
    let base: String
    let timeout: TimeInterval
    /// Sent as `Authorization: Bearer <key>` when set.
    let apiKey: String?

    init(base: String, timeout: TimeInterval = 300, apiKey: String? = nil) {
        self.base = base.hasSuffix("/") ? String(base.dropLast()) : base
        self.timeout = timeout
        self.apiKey = apiKey.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// An error talking to a node's API.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// GETs `path` and returns the status and body.
    func get(_ path: String) async throws -> (Int, Data) {
        try await send(path, method: "GET", body: nil)
    }

    /// POSTs JSON to `path`.
    func post(_ path: String, json: Data) async throws -> (Int, Data) {
        try await send(path, method: "POST", body: json)
    }

    /// DELETEs `path`.
    func delete(_ path: String) async throws -> (Int, Data) {
        try await send(path, method: "DELETE", body: nil)
    }

    private func send(_ path: String, method: String, body: Data?) async throws -> (Int, Data) {
        guard let url = URL(string: base + path) else { throw Failure(description: "invalid API address \(base)\(path)") }
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = method
        if let apiKey { request.setValue("Bearer \(apiKey)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.httpBody = body
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        do {
            let (data, response) = try await URLSession.shared.data(for: request)
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
        } catch {
            throw Failure(description: "cannot reach the node API at \(base): \(error.localizedDescription)")
        }
    }

    /// Decodes a JSON body or throws the API's error message.
    func decode<T: Decodable>(_ type: T.Type, _ result: (Int, Data)) throws -> T {
        let (status, data) = result
        guard (200..<300).contains(status) else {
            if let e = try? JSONDecoder().decode(APIErrorBody.self, from: data) {
                throw Failure(description: "the node answered \(status): \(e.error.message)")
            }
            throw Failure(description: "the node answered \(status): \(String(decoding: data.prefix(300), as: UTF8.self))")
        }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw Failure(description: "unexpected answer from the node: \(error)")
        }
    }

    struct APIErrorBody: Decodable {
        struct Inner: Decodable { let message: String }
        let error: Inner
    }
}
