import Foundation

// JSON Schema → GBNF, for `response_format: {type: "json_schema"}` and function-calling
// `parameters`. The structure follows llama.cpp's own converter
// (common/json-schema-to-grammar.cpp): one rule per (sub)schema, named after its path,
// built from the same primitive rules (`space`, `string`, `number`, …), so the grammar
// reads like the one llama.cpp's server would build.
//
// The supported subset, and what happens to the rest:
//
// * Supported: `type` (a name or an array of names), `properties`, `required`,
//   `additionalProperties`, `enum`, `const`, `anyOf`, `oneOf`, `allOf` with exactly one
//   subschema, `items` (one schema), `minItems`/`maxItems`, `minLength`/`maxLength`,
//   `$ref` to `#`, `#/$defs/NAME` or `#/definitions/NAME` (recursion allowed; `$defs`
//   nested anywhere in the schema are found too, as llama.cpp hoists them to the root),
//   and the boolean schemas `true` (any value) and `false` (refused: no value fits).
// * Objects: properties are emitted in sorted key order (a `[String: JSONValue]` has no
//   order); required properties first, then the optional ones, each of which may be left
//   out. Undeclared keys are never generated: an absent `additionalProperties` is read as
//   `false` (OpenAI strict mode), and `true` beside `properties` is narrowed to `false`
//   (the output still satisfies the schema). An object schema without `properties`
//   accepts any object; with a schema as `additionalProperties`, any keys whose values
//   match it; with `additionalProperties: false`, only `{}`.
// * Ignored, so not enforced by the grammar (check the output if they matter): the
//   annotations (`description`, `title`, `default`, `examples`, `$schema`, `$id`,
//   `$comment`, …), `format`, `minimum`/`maximum`/`exclusiveMinimum`/
//   `exclusiveMaximum`/`multipleOf`, `uniqueItems`, `oneOf`'s exclusivity, a
//   `maxItems`/`maxLength` above `maxRepetition`, and any keyword this file does not
//   know (JSON Schema reads unknown keywords as annotations).
// * Refused with a `JSONSchemaGrammarError` naming the keyword's path: `pattern`, the
//   other structural keywords listed in `unsupported` below, an unknown `type`, tuple
//   `items`, `$ref` elsewhere, value keywords beside `$ref`/`anyOf`/`oneOf`/`allOf`,
//   a `minItems`/`minLength` above `maxRepetition`, nesting deeper than `maxDepth`, and
//   grammars of more than `maxRules` rules.
//
// A schema whose recursion consumes no input (say `A = anyOf[$ref A, …]`) yields a
// left-recursive grammar, which llama.cpp's grammar parser refuses.

/// Why a schema could not become a grammar.
public struct JSONSchemaGrammarError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong, in words for the client.
    public var message: String
    /// Where: the offending keyword's path from the schema's root, keys joined by `.` and
    /// array indices in brackets (`properties.address.pattern`, `anyOf[1].type`); empty
    /// for the root schema itself.
    public var path: String

    public init(message: String, path: String) {
        self.message = message
        self.path = path
    }

    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

/// Converts JSON Schemas into GBNF grammars for llama.cpp's grammar sampler
/// (`llama_sampler_init_grammar(vocab, grammar, "root")`).
public enum JSONSchemaGrammar {
    /// Deepest nesting of schemas accepted (the root schema is level 0).
    public static let maxDepth = 32
    /// Most rules a grammar may have (primitives included).
    public static let maxRules = 1_000
    /// llama.cpp's `MAX_REPETITION_THRESHOLD`: its grammar parser refuses a repetition
    /// `{m,n}` with a larger `m`, and drops (recent versions) or refuses (older ones) a
    /// larger `n`. So a `minItems`/`minLength` above it is refused, and a
    /// `maxItems`/`maxLength` above it is left out (no upper bound), as llama.cpp does.
    public static let maxRepetition = 2_000

    /// GBNF for any JSON object (`response_format: {type: "json_object"}`): root is an object.
    public static let anyObject: String = {
        var rules: [String: String] = [:]
        Primitive.add("object", to: &rules)
        rules["root"] = "object"
        return format(rules)
    }()

    /// GBNF whose root matches exactly the JSON values the schema accepts, for the subset
    /// described at the top of this file (ignored keywords are not enforced).
    ///
    /// - Throws: `JSONSchemaGrammarError` for a keyword outside the subset, a malformed
    ///   schema, nesting deeper than `maxDepth` or more than `maxRules` rules.
    public static func grammar(for schema: JSONValue) throws(JSONSchemaGrammarError) -> String {
        var converter = Converter(root: schema)
        let top = try converter.visit(schema, name: "", path: "", depth: 0)
        if top != "root" {
            try converter.addAlias("root", to: top, path: "")
        } else if converter.rules["root"] == nil {
            throw JSONSchemaGrammarError(message: "the schema refers only to itself", path: "$ref")
        }
        return format(converter.rules)
    }

    /// `name ::= body` lines, `root` first and then by name, so equal schemas give equal text.
    static func format(_ rules: [String: String]) -> String {
        let names = rules.keys.sorted { a, b in a == "root" || (b != "root" && a < b) }
        return names.map { "\($0) ::= \(rules[$0] ?? "")\n" }.joined()
    }

    /// `text` as a GBNF string literal: quoted, with `"`, `\`, newlines and other control
    /// characters escaped (llama.cpp's parser reads `\"`, `\\`, `\n`, `\r`, `\t`, `\xHH`).
    static func literal(_ text: String) -> String {
        var out = "\""
        for u in text.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20 || u.value == 0x7F:
                let hex = String(u.value, radix: 16, uppercase: true)
                out += "\\x" + (hex.count < 2 ? "0" + hex : hex)
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }

    /// `name` reduced to the characters a GBNF rule name may hold: each run of anything
    /// outside `[a-zA-Z0-9-]` becomes one `-`.
    static func sanitize(_ name: String) -> String {
        var out = ""
        var inRun = false
        for u in name.unicodeScalars {
            if ("a"..."z").contains(u) || ("A"..."Z").contains(u) || ("0"..."9").contains(u) || u == "-" {
                out.unicodeScalars.append(u)
                inRun = false
            } else if !inRun {
                out += "-"
                inRun = true
            }
        }
        return out
    }

    /// `item` repeated `min`…`max` times (`max == nil`: unbounded), with `separator`
    /// between repetitions; llama.cpp's `build_repetition`.
    static func repetition(_ item: String, min: Int, max: Int?, separator: String? = nil) -> String {
        if max == 0 { return "" }
        if min == 0 && max == 1 { return item + "?" }
        guard let separator else {
            if min == 1 && max == nil { return item + "+" }
            if min == 0 && max == nil { return item + "*" }
            return item + "{\(min),\(max.map(String.init) ?? "")}"
        }
        let rest = repetition("(" + separator + " " + item + ")", min: min == 0 ? 0 : min - 1, max: max.map { $0 - 1 })
        let result = item + " " + rest
        return min == 0 ? "(" + result + ")?" : result
    }
}
