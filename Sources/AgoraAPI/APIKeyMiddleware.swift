import AgoraNode
import HTTPTypes
import Hummingbird

/// Admits only requests that carry one of the node's API keys (`Authorization: Bearer <key>`)
/// whenever keys are required: the API listens beyond loopback, or keys exist. Every route
/// is covered (completions, node API, metrics, dashboard); the others get 401 in OpenAI's shape.
/// Routes that change what the node serves (`ModelRoutes.isAdministrative`) need an admin key
/// (`agora keys create --admin`); another key gets 403.
struct APIKeyMiddleware<Context: RequestContext>: RouterMiddleware {
    let keyring: APIKeyring
    /// Whether a key is required even when none exists (the API listens beyond loopback).
    let alwaysRequired: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard alwaysRequired || !keyring.isEmpty else { return try await next(request, context) }
        guard let header = request.headers[.authorization] else {
            return JSONResponse.error(.unauthorized("this node requires an API key: send \"Authorization: Bearer <key>\" (keys are made with `agora keys create`)"))
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", let access = keyring.access(String(parts[1])) else {
            return JSONResponse.error(.unauthorized("the API key is not valid for this node (revoked, mistyped, or from another node)"))
        }
        if access != .administer, ModelRoutes<Context>.isAdministrative(request.method, path: request.uri.path) {
            return JSONResponse.error(.forbidden("loading and unloading models needs an admin key (`agora keys create --admin`); this key may only use the node"))
        }
        return try await next(request, context)
    }
}
