import AgoraNode
import Foundation
import HTTPTypes
import Hummingbird

/// `/api/models`: list (`GET`), add (`POST {"path": …}`) and remove (`DELETE /api/models/{name}`)
/// the models a node serves, at runtime. Adding and removing need an admin key when the
/// node requires keys (`APIKeyMiddleware`): a key to use the node does not let its holder
/// make the node read a file of its choosing.
struct ModelRoutes<Context: RequestContext>: Sendable {
    let admin: any ModelAdminService
    let inference: any InferenceService

    /// Whether a request changes what the node serves.
    static func isAdministrative(_ method: HTTPRequest.Method, path: String) -> Bool {
        method != .get && method != .head && (path == "/api/models" || path.hasPrefix("/api/models/"))
    }

    func register(on router: Router<Context>) {
        router.get("/api/models") { _, _ in
            JSONResponse.make(ModelsView(local: await admin.localModels(), network: await inference.models()))
        }
        router.post("/api/models") { request, _ in
            do {
                let body = try await JSONResponse.decode(AddModelRequest.self, from: request.body)
                guard !body.path.isEmpty else { throw OpenAIError.invalid("path (a GGUF file on the node's machine) is required", param: "path") }
                do throws(NodeError) {
                    return JSONResponse.make(try await admin.addModel(body), status: .created)
                } catch {
                    throw OpenAIError.modelAdmin(error)
                }
            } catch let e as OpenAIError {
                return JSONResponse.error(e)
            }
        }
        router.delete("/api/models/{name}") { _, context in
            let raw = context.parameters.get("name") ?? ""
            let name = raw.removingPercentEncoding ?? raw
            do throws(NodeError) {
                return JSONResponse.make(try await admin.removeModel(name), status: .accepted)
            } catch {
                return JSONResponse.error(.modelAdmin(error))
            }
        }
    }
}
