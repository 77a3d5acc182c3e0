import Foundation
import Hummingbird
import NIOCore

/// Building JSON responses and reading bounded JSON bodies.
enum JSONResponse {
    /// Largest request body accepted (bytes).
    static let maxBody = 1 << 20

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    /// A JSON response with `status`.
    static func make(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The OpenAI-shaped error response for `error`.
    static func error(_ error: OpenAIError) -> Response {
        var response = make(error, status: HTTPResponse.Status(code: error.status))
        if let seconds = error.retryAfter { response.headers[.retryAfter] = String(seconds) }
        return response
    }

    /// `messages[0].content`: a decoding path as a client writes it.
    static func fieldPath(_ path: [any CodingKey]) -> String {
        path.reduce("") { out, key in
            if let i = key.intValue { return out + "[\(i)]" }
            return out.isEmpty ? key.stringValue : out + "." + key.stringValue
        }
    }

    /// What a client should send in words: "a string", "a number", …
    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        case is Int.Type, is UInt64.Type, is Int64.Type: return "an integer"
        case is Double.Type: return "a number"
        default:
            let name = "\(type)"
            if name.hasPrefix("Array") { return "a list" }
            if name.hasPrefix("Dictionary") || name.contains("Request") || name.contains("Message") { return "an object" }
            return "a value of another type"
        }
    }

    /// Reads the body (at most `maxBody` bytes) and decodes `T`, mapping every failure to
    /// an `OpenAIError` a client can act on.
    static func decode<T: Decodable>(_ type: T.Type, from body: RequestBody) async throws(OpenAIError) -> T {
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: maxBody)
        } catch {
            throw OpenAIError.tooLarge("request body exceeds \(maxBody) bytes")
        }
        return try decode(type, from: Data(buffer.readableBytesView))
    }

    /// Decodes a request body already read; every failure is a 400 naming the field.
    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws(OpenAIError) -> T {
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let e as RequestKeys.UnsupportedField {
            throw OpenAIError.invalid(e.message, param: e.name, code: "unsupported_parameter")
        } catch let e as RequestKeys.UnknownField {
            throw OpenAIError.invalid("unknown field \"\(e.name)\"", param: e.name, code: "unknown_field")
        } catch let DecodingError.keyNotFound(key, _) {
            throw OpenAIError.invalid("missing required field \"\(key.stringValue)\"", param: key.stringValue)
        } catch let DecodingError.typeMismatch(type, ctx) {
            let path = fieldPath(ctx.codingPath)
            throw OpenAIError.invalid("field \"\(path)\" should be \(typeName(type))", param: path)
        } catch let DecodingError.valueNotFound(type, ctx) {
            let path = fieldPath(ctx.codingPath)
            throw OpenAIError.invalid("field \"\(path)\" should be \(typeName(type)), not null", param: path)
        } catch let DecodingError.dataCorrupted(ctx) {
            let path = fieldPath(ctx.codingPath)
            throw OpenAIError.invalid(path.isEmpty ? "request body is not valid JSON" : "invalid value for \"\(path)\": \(ctx.debugDescription)",
                                      param: path.isEmpty ? nil : path)
        } catch {
            throw OpenAIError.invalid("request body is not valid JSON")
        }
    }
}
