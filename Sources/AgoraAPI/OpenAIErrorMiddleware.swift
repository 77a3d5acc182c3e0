import Hummingbird

/// Gives errors thrown past the routes (an unknown route or method, an unreadable request)
/// OpenAI's JSON shape and their own status, instead of an empty body.
struct OpenAIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let e as any HTTPResponseError {
            let status = Int(e.status.code)
            switch status {
            case 404: return JSONResponse.error(.notFound("no route \(request.method) \(request.uri.path)", code: "unknown_route"))
            case 405: return JSONResponse.error(OpenAIError(status: 405, type: "invalid_request_error",
                                                            message: "\(request.method) is not allowed on \(request.uri.path)",
                                                            code: "method_not_allowed"))
            case 400..<500: return JSONResponse.error(OpenAIError(status: status, type: "invalid_request_error", message: "\(e)"))
            default: return JSONResponse.error(.server("\(e)"))
            }
        }
    }
}
