import Foundation

// MARK: - Primitive rules

/// llama.cpp's primitive rules (`PRIMITIVE_RULES` and `SPACE_RULE`), verbatim.
enum Primitive {
    /// Optional whitespace after a token: nothing, one space, or one or two newlines
    /// followed by up to 20 spaces or tabs of indentation.
    static let space = #"| " " | "\n"{1,2} [ \t]{0,20}"#

    /// Name → (body, rules the body uses).
    static let rules: [String: (body: String, deps: [String])] = [
        "boolean": (#"("true" | "false") space"#, []),
        "decimal-part": ("[0-9]{1,16}", []),
        "integral-part": ("[0] | [1-9] [0-9]{0,15}", []),
        "number": (#"("-"? integral-part) ("." decimal-part)? ([eE] [-+]? integral-part)? space"#,
                   ["integral-part", "decimal-part"]),
        "integer": (#"("-"? integral-part) space"#, ["integral-part"]),
        "value": ("object | array | string | number | boolean | null",
                  ["object", "array", "string", "number", "boolean", "null"]),
        "object": (#""{" space ( string ":" space value ("," space string ":" space value)* )? "}" space"#,
                   ["string", "value"]),
        "array": (#""[" space ( value ("," space value)* )? "]" space"#, ["value"]),
        "char": (#"[^"\\\x7F\x00-\x1F] | [\\] (["\\bfnrt] | "u" [0-9a-fA-F]{4})"#, []),
        "string": (#""\"" char* "\"" space"#, ["char"]),
        "null": (#""null" space"#, []),
    ]

    /// Adds `name`, `space` and every rule they use to `rules` (those already there stay).
    static func add(_ name: String, to rules: inout [String: String]) {
        rules["space"] = space
        var todo = [name]
        while let next = todo.popLast() {
            guard rules[next] == nil, let rule = Primitive.rules[next] else { continue }
            rules[next] = rule.body
            todo += rule.deps
        }
    }
}
