import Foundation
import Hummingbird
import NIOCore
import Prometheus

/// The node API (`/api/health`, `/api/peers`, `/api/jobs`, `/api/ledger…`), `/metrics`
/// (Prometheus text format) and the dashboard at `/`.
struct NodeRoutes<Context: RequestContext>: Sendable {
    let status: any NodeStatusService
    let metrics: PrometheusCollectorRegistry?

    func register(on router: Router<Context>) {
        router.get("/api/health") { _, _ in JSONResponse.make(await status.health()) }
        router.get("/api/peers") { _, _ in JSONResponse.make(await status.peers()) }
        router.get("/api/jobs") { _, _ in JSONResponse.make(await status.jobs()) }
        router.get("/api/ledger") { request, _ in
            let limit = request.uri.queryParameters.get("limit", as: Int.self) ?? 20
            guard (1...1000).contains(limit) else { return JSONResponse.error(.invalid("limit must be 1…1000", param: "limit")) }
            return JSONResponse.make(await status.ledger(limit: limit))
        }
        router.get("/api/ledger/entries") { request, _ in
            let from = request.uri.queryParameters.get("from", as: UInt64.self) ?? 0
            let limit = request.uri.queryParameters.get("limit", as: Int.self) ?? 100
            guard (1...1000).contains(limit) else { return JSONResponse.error(.invalid("limit must be 1…1000", param: "limit")) }
            do {
                return JSONResponse.make(try await status.ledgerEntries(from: from, limit: limit))
            } catch {
                return JSONResponse.error(.invalid("\(error)", param: "from"))
            }
        }
        router.get("/api/ledger/proof") { request, _ in
            guard let seq = request.uri.queryParameters.get("seq", as: UInt64.self) else {
                return JSONResponse.error(.invalid("query parameter seq (an entry number) is required", param: "seq"))
            }
            do {
                return JSONResponse.make(try await status.inclusionProof(seq: seq))
            } catch {
                return JSONResponse.error(.notFound("\(error)", param: "seq"))
            }
        }
        router.get("/metrics") { _, _ in
            let text = metrics?.emitToString() ?? ""
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        router.get("/") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: Dashboard.html)))
        }
    }
}
