import AgoraExecutor
import Foundation

/// A function the model may call (`tools[i]` of a chat request).
public struct Tool: Decodable, Sendable, Equatable {
    /// The function's description.
    public struct Function: Decodable, Sendable, Equatable {
        /// Its name.
        public let name: String
        /// What it does (shown to the model).
        public let description: String?
        /// JSON Schema of its arguments (an object schema; absent: any object).
        public let parameters: JSONValue?
        /// OpenAI's `strict`: calls always follow the schema here (grammar-constrained).
        public let strict: Bool?
    }

    /// Always `function`.
    public let type: String
    /// The function.
    public let function: Function
}

/// A call the model made (`message.tool_calls[i]`), or one an earlier assistant turn made.
public struct ToolCall: Codable, Sendable, Equatable {
    /// The function called and its arguments.
    public struct Function: Codable, Sendable, Equatable {
        /// The function's name.
        public let name: String
        /// The arguments as JSON text.
        public let arguments: String
    }

    /// The call's id (a `tool` message answers it by this id).
    public let id: String
    /// Always `function`.
    public let type: String
    /// What is called.
    public let function: Function

    /// Creates a call.
    public init(id: String, name: String, arguments: String) {
        self.id = id
        type = "function"
        function = Function(name: name, arguments: arguments)
    }
}

/// `tool_choice`.
public enum ToolChoice: Decodable, Sendable, Equatable {
    /// Never call a tool.
    case none
    /// The model decides (the default with tools).
    case auto
    /// Call at least one tool.
    case required
    /// Call this function.
    case function(String)

    struct Named: Decodable { struct F: Decodable { let name: String }; let type: String; let function: F }

    public init(from decoder: Decoder) throws {
        if let s = try? decoder.singleValueContainer().decode(String.self) {
            switch s {
            case "none": self = .none
            case "auto": self = .auto
            case "required": self = .required
            default:
                throw RequestKeys.UnsupportedField(name: "tool_choice", message: "tool_choice \"\(s)\" is not none, auto, required or {\"type\": \"function\", \"function\": {\"name\": …}}")
            }
            return
        }
        self = .function(try decoder.singleValueContainer().decode(Named.self).function.name)
    }
}

/// How tools reach the model and come back: tool definitions, earlier calls and tool results
/// become text in the conversation (rendered by the model's own chat template); a call the
/// request requires is forced by a grammar built from the functions' parameter schemas, so
/// its arguments are valid JSON for the schema and a validator checks it like any output.
enum ToolCalling {
    /// A call as the model writes it: `{"arguments": {…}, "name": "…"}` (one JSON object, keys
    /// in the sorted order the grammar converter gives them).
    static func callSchema(_ tool: Tool.Function) -> JSONValue {
        .object([
            "type": .string("object"),
            "properties": .object([
                "name": .object(["const": .string(tool.name)]),
                "arguments": tool.parameters ?? .object(["type": .string("object")]),
            ]),
            "required": .array([.string("name"), .string("arguments")]),
            "additionalProperties": .bool(false),
        ])
    }

    /// The grammar that forces a call (`required` or a named function), else nil.
    static func grammar(tools: [Tool], choice: ToolChoice) throws(OpenAIError) -> String? {
        let forced: [Tool.Function]
        switch choice {
        case .none, .auto: return nil
        case .required: forced = tools.map(\.function)
        case .function(let name):
            guard let f = tools.first(where: { $0.function.name == name })?.function else {
                throw .invalid("tool_choice names the function \"\(name)\", which is not among the tools", param: "tool_choice")
            }
            forced = [f]
        }
        let schema: JSONValue = forced.count == 1 ? callSchema(forced[0]) : .object(["anyOf": .array(forced.map(callSchema))])
        do { return try JSONSchemaGrammar.grammar(for: schema) } catch {
            throw .invalid("a tool's parameters cannot be enforced: \(error)", param: "tools")
        }
    }

    /// The instruction that tells the model about the tools.
    static func instruction(_ tools: [Tool], choice: ToolChoice) -> String {
        var s = "You can call these functions (each with a JSON Schema of its arguments):\n"
        for t in tools {
            var o: [String: JSONValue] = ["name": .string(t.function.name),
                                          "parameters": t.function.parameters ?? .object(["type": .string("object")])]
            if let d = t.function.description { o["description"] = .string(d) }
            s += JSONValue.object(o).jsonText + "\n"
        }
        // The call grammar writes keys in sorted order: the instruction shows them so.
        s += "To call a function, answer with only a JSON object: {\"arguments\": <arguments object>, \"name\": <function name>}."
        switch choice {
        case .required: s += " You must call one of the functions."
        case .function(let name): s += " You must call \(name)."
        case .auto, .none: s += " Otherwise answer normally."
        }
        return s
    }

    /// The conversation as the job carries it: `developer` read as `system`, earlier tool
    /// calls as the JSON the model writes, tool results as `tool` turns, and the tools'
    /// instruction in the first system message.
    static func messages(_ messages: [ChatCompletionRequest.Message], tools: [Tool],
                         choice: ToolChoice) throws(OpenAIError) -> [ChatMessage] {
        var out: [ChatMessage] = []
        for (i, m) in messages.enumerated() {
            switch m.role {
            case "system", "developer", "user":
                guard let text = m.content else {
                    throw .invalid("messages[\(i)].content is required for a \(m.role) message", param: "messages[\(i)].content")
                }
                out.append(ChatMessage(role: m.role == "developer" ? "system" : m.role, content: text))
            case "assistant":
                var parts: [String] = m.content.map { [$0] } ?? []
                for (k, call) in m.toolCalls.enumerated() {
                    guard let args = try? JSONDecoder().decode(JSONValue.self, from: Data(call.function.arguments.utf8)) else {
                        throw .invalid("messages[\(i)].tool_calls[\(k)].function.arguments is not valid JSON",
                                       param: "messages[\(i)].tool_calls[\(k)].function.arguments")
                    }
                    parts.append(JSONValue.object(["name": .string(call.function.name), "arguments": args]).jsonText)
                }
                guard !parts.isEmpty else {
                    throw .invalid("messages[\(i)] (assistant) has neither content nor tool_calls", param: "messages[\(i)].content")
                }
                out.append(ChatMessage(role: "assistant", content: parts.joined(separator: "\n")))
            case "tool":
                guard m.toolCallID != nil else {
                    throw .invalid("messages[\(i)] (tool) needs tool_call_id: the call it answers", param: "messages[\(i)].tool_call_id")
                }
                out.append(ChatMessage(role: "tool", content: m.content ?? ""))
            default:
                throw .invalid("messages[\(i)].role \"\(m.role)\" is not system, developer, user, assistant or tool",
                               param: "messages[\(i)].role")
            }
        }
        guard !tools.isEmpty, choice != .none else { return out }
        let text = instruction(tools, choice: choice)
        if let first = out.firstIndex(where: { $0.role == "system" }) {
            out[first].content += "\n\n" + text
        } else {
            out.insert(ChatMessage(role: "system", content: text), at: 0)
        }
        return out
    }

    /// The calls in a model's answer: a JSON object `{"name", "arguments"}` naming one of the
    /// tools (or a list of them), nothing else. Nil when the answer is not a call.
    static func calls(in text: String, tools: [Tool], jobID: String) -> [ToolCall]? {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(text.trimmingCharacters(in: .whitespacesAndNewlines).utf8)) else {
            return nil
        }
        let items: [JSONValue]
        switch value {
        case .array(let a): items = a
        case .object: items = [value]
        default: return nil
        }
        var calls: [ToolCall] = []
        for (k, item) in items.enumerated() {
            guard case .object(let o) = item, case .string(let name)? = o["name"],
                  tools.contains(where: { $0.function.name == name }), let args = o["arguments"], case .object = args else { return nil }
            calls.append(ToolCall(id: "call_\(jobID.prefix(16))_\(k)", name: name, arguments: args.jsonText))
        }
        return calls.isEmpty ? nil : calls
    }
}
