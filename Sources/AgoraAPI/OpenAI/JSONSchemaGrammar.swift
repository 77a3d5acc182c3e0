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

// MARK: - Converter

/// One conversion: the rules built so far, keyed by rule name.
struct Converter {
    typealias Failure = JSONSchemaGrammarError

    /// Type names JSON Schema defines.
    static let types: Set<String> = ["string", "number", "integer", "boolean", "null", "object", "array"]
    /// Names a schema-derived rule may not take (llama.cpp appends `-` to them).
    static let reserved: Set<String> = Set(Primitive.rules.keys).union(["root", "space"])
    /// Keywords that constrain the value: beside `$ref`, `anyOf`, `oneOf` or `allOf` they
    /// would be silently dropped, so they are refused there.
    static let valueKeywords: Set<String> = [
        "type", "enum", "const", "properties", "required", "additionalProperties", "items", "minItems", "maxItems",
        "minLength", "maxLength", "anyOf", "oneOf", "allOf", "$ref",
    ]
    /// Structural keywords outside the subset, with why.
    static let unsupported: [String: String] = [
        "pattern": "regular-expression patterns are not supported",
        "patternProperties": "patternProperties is not supported",
        "propertyNames": "propertyNames is not supported",
        "minProperties": "minProperties is not supported",
        "maxProperties": "maxProperties is not supported",
        "dependentRequired": "dependentRequired is not supported",
        "dependentSchemas": "dependentSchemas is not supported",
        "dependencies": "dependencies is not supported",
        "unevaluatedProperties": "unevaluatedProperties is not supported",
        "unevaluatedItems": "unevaluatedItems is not supported",
        "prefixItems": "prefixItems (tuples) is not supported",
        "additionalItems": "additionalItems is not supported",
        "contains": "contains is not supported",
        "minContains": "minContains is not supported",
        "maxContains": "maxContains is not supported",
        "not": "not is not supported",
        "if": "if/then/else is not supported",
        "then": "if/then/else is not supported",
        "else": "if/then/else is not supported",
        "$dynamicRef": "$dynamicRef is not supported",
        "$recursiveRef": "$recursiveRef is not supported",
    ]

    /// Every `$defs` and `definitions` entry in the schema, by section and name, with its
    /// path. Like llama.cpp, nested ones count as if they were at the root (a tool's
    /// parameter schema wrapped into a call schema keeps its `#/$defs/…` references
    /// working); on a name clash the root's wins, then the first in sorted-key order.
    let definitions: [String: [String: (schema: JSONValue, path: String)]]
    /// Rule name → body.
    var rules: [String: String] = ["space": Primitive.space]
    /// Names reserved for `$ref` targets still being converted.
    var pending: Set<String> = []
    /// `$ref` string → its rule name.
    var refRules: [String: String] = ["#": "root"]

    init(root: JSONValue) {
        var found: [String: [String: (schema: JSONValue, path: String)]] = [:]
        Self.collectDefinitions(root, path: "", depth: 0, into: &found)
        definitions = found
    }

    /// Adds the definitions in `value` and below to `found` (those already there stay).
    static func collectDefinitions(_ value: JSONValue, path: String, depth: Int,
                                   into found: inout [String: [String: (schema: JSONValue, path: String)]]) {
        guard depth <= 4 * JSONSchemaGrammar.maxDepth else { return }
        switch value {
        case .object(let object):
            for section in ["$defs", "definitions"] {
                guard case .object(let entries)? = object[section] else { continue }
                for (name, schema) in entries.sorted(by: { $0.key < $1.key }) where found[section]?[name] == nil {
                    found[section, default: [:]][name] = (schema, join(join(path, section), name))
                }
            }
            for key in object.keys.sorted() {
                if let child = object[key] { collectDefinitions(child, path: join(path, key), depth: depth + 1, into: &found) }
            }
        case .array(let list):
            for (i, item) in list.enumerated() {
                collectDefinitions(item, path: path + "[\(i)]", depth: depth + 1, into: &found)
            }
        default: break
        }
    }

    /// The rule for `schema`, named after `name` (`""`: the root); returns the rule name
    /// to use where the schema's value goes (a primitive's name when nothing more is
    /// needed).
    mutating func visit(_ schema: JSONValue, name: String, path: String, depth: Int) throws(Failure) -> String {
        guard depth <= JSONSchemaGrammar.maxDepth else {
            throw Failure(message: "schemas nest deeper than \(JSONSchemaGrammar.maxDepth) levels", path: path)
        }
        let ruleName = Self.reserved.contains(name) ? name + "-" : (name.isEmpty ? "root" : name)
        let s: [String: JSONValue]
        switch schema {
        case .bool(true): return try addPrimitive("value", path: path)
        case .bool(false): throw Failure(message: "the schema false accepts no value", path: path)
        case .object(let object): s = object
        default: throw Failure(message: "a schema must be a JSON object or a boolean", path: path)
        }
        for key in s.keys.sorted() {
            if let why = Self.unsupported[key] { throw Failure(message: why, path: Self.join(path, key)) }
        }

        if let ref = s["$ref"] {
            try onlyAnnotations(beside: "$ref", in: s, path: path)
            return try resolve(ref, path: Self.join(path, "$ref"), depth: depth)
        }
        for keyword in ["anyOf", "oneOf"] {
            guard let alternatives = s[keyword] else { continue }
            try onlyAnnotations(beside: keyword, in: s, path: path)
            guard case .array(let list) = alternatives, !list.isEmpty else {
                throw Failure(message: "\(keyword) must be a non-empty array of schemas", path: Self.join(path, keyword))
            }
            var names: [String] = []
            for (i, alternative) in list.enumerated() {
                names.append(try visit(alternative, name: Self.alternative(name, i),
                                       path: Self.join(path, keyword) + "[\(i)]", depth: depth + 1))
            }
            return try addRule(ruleName, names.joined(separator: " | "), path: path)
        }
        if let all = s["allOf"] {
            try onlyAnnotations(beside: "allOf", in: s, path: path)
            guard case .array(let list) = all, list.count == 1, let only = list.first else {
                throw Failure(message: "allOf is supported only with exactly one schema", path: Self.join(path, "allOf"))
            }
            return try visit(only, name: name, path: Self.join(path, "allOf") + "[0]", depth: depth + 1)
        }

        let types = try Self.types(of: s["type"], path: Self.join(path, "type"))
        if let value = s["const"] {
            guard types.map({ $0.contains { Self.value(value, hasType: $0) } }) ?? true else {
                throw Failure(message: "const does not have the declared type", path: Self.join(path, "const"))
            }
            return try addRule(ruleName, JSONSchemaGrammar.literal(value.jsonText) + " space", path: path)
        }
        if let values = s["enum"] {
            guard case .array(let list) = values, !list.isEmpty else {
                throw Failure(message: "enum must be a non-empty array", path: Self.join(path, "enum"))
            }
            // Values of another type than the declared one can never validate: drop them.
            var literals: [String] = []
            for value in list where types.map({ $0.contains { Self.value(value, hasType: $0) } }) ?? true {
                let literal = JSONSchemaGrammar.literal(value.jsonText)
                if !literals.contains(literal) { literals.append(literal) }
            }
            guard !literals.isEmpty else {
                throw Failure(message: "no enum value has the declared type", path: Self.join(path, "enum"))
            }
            return try addRule(ruleName, "(" + literals.joined(separator: " | ") + ") space", path: path)
        }
        if let types, types.count > 1 {
            var names: [String] = []
            for (i, type) in types.enumerated() {
                var single = s
                single["type"] = .string(type)
                names.append(try visit(.object(single), name: Self.alternative(name, i), path: path, depth: depth + 1))
            }
            return try addRule(ruleName, names.joined(separator: " | "), path: path)
        }

        // One type, or none: then the keywords present say which (as llama.cpp does).
        let type = types?.first ?? Self.impliedType(s)
        switch type {
        case "object": return try objectRule(s, name: name, ruleName: ruleName, path: path, depth: depth)
        case "array": return try arrayRule(s, name: name, ruleName: ruleName, path: path, depth: depth)
        case "string" where s["minLength"] != nil || s["maxLength"] != nil:
            let minLength = try Self.count(s, "minLength", path: path, isMinimum: true) ?? 0
            let maxLength = try Self.count(s, "maxLength", path: path, isMinimum: false)
            if let maxLength, maxLength < minLength {
                throw Failure(message: "maxLength is smaller than minLength", path: Self.join(path, "maxLength"))
            }
            let char = try addPrimitive("char", path: path)
            let body = #""\"" "# + JSONSchemaGrammar.repetition(char, min: minLength, max: maxLength) + #" "\"" space"#
            return try addRule(ruleName, body, path: path)
        case let type?: return try addPrimitive(type, path: path)
        case nil: return try addPrimitive("value", path: path)
        }
    }

    /// An object with declared properties (required ones first, then optional ones, each
    /// group in sorted key order), a map (`additionalProperties` is a schema), or any object.
    mutating func objectRule(_ s: [String: JSONValue], name: String, ruleName: String, path: String,
                             depth: Int) throws(Failure) -> String {
        var properties: [String: JSONValue] = [:]
        switch s["properties"] {
        case nil: break
        case .object(let object)?: properties = object
        default: throw Failure(message: "properties must be an object", path: Self.join(path, "properties"))
        }
        var required: Set<String> = []
        if let list = s["required"] {
            guard case .array(let names) = list else {
                throw Failure(message: "required must be an array of strings", path: Self.join(path, "required"))
            }
            for item in names {
                guard case .string(let key) = item else {
                    throw Failure(message: "required must be an array of strings", path: Self.join(path, "required"))
                }
                guard properties[key] != nil else {
                    throw Failure(message: "required property \(JSONValue.string(key).jsonText) is not declared in properties",
                                  path: Self.join(path, "required"))
                }
                required.insert(key)
            }
        }

        let additional = s["additionalProperties"]
        let additionalSchema: JSONValue?
        switch additional {
        case nil, .bool?: additionalSchema = nil
        case .object(let object)?: additionalSchema = object.isEmpty ? nil : additional
        default:
            throw Failure(message: "additionalProperties must be a boolean or a schema",
                          path: Self.join(path, "additionalProperties"))
        }
        if s["properties"] == nil && additional != .bool(false) {
            guard let additionalSchema else { return try addPrimitive("object", path: path) }
            // A map: any keys, each value matching `additionalProperties`.
            let value = try visit(additionalSchema, name: Self.child(name, "additional-value"),
                                  path: Self.join(path, "additionalProperties"), depth: depth + 1)
            let key = try addPrimitive("string", path: path)
            let kv = try addRule(Self.child(name, "additional-kv"), #"\#(key) ":" space \#(value)"#, path: path)
            return try addRule(ruleName, #""{" space ( \#(kv) ( "," space \#(kv) )* )? "}" space"#, path: path)
        }
        if additionalSchema != nil {
            throw Failure(message: "additionalProperties as a schema is supported only for objects without properties",
                          path: Self.join(path, "additionalProperties"))
        }

        var kvRules: [String: String] = [:]
        for key in properties.keys.sorted() {
            let schema = properties[key] ?? .bool(true)
            let value = try visit(schema, name: Self.child(name, key),
                                  path: Self.join(Self.join(path, "properties"), key), depth: depth + 1)
            kvRules[key] = try addRule(Self.child(name, key) + "-kv",
                                       JSONSchemaGrammar.literal(JSONValue.string(key).jsonText) + #" space ":" space "# + value,
                                       path: path)
        }
        let requiredKeys = properties.keys.filter { required.contains($0) }.sorted()
        let optionalKeys = properties.keys.filter { !required.contains($0) }.sorted()

        var body = #""{" space "#
        body += requiredKeys.map { kvRules[$0] ?? "" }.joined(separator: #" "," space "#)
        if !optionalKeys.isEmpty {
            // Any subset of the optional properties, in order: alternative i starts with
            // optional property i, then its `-rest` rule offers each later one (llama.cpp's
            // scheme; the `-rest` rules are shared between alternatives).
            var alternatives: [String] = []
            for i in optionalKeys.indices {
                alternatives.append(try optionalSequence(optionalKeys[i...], kvRules: kvRules, name: name,
                                                         firstIsOptional: false, path: path))
            }
            let choice = alternatives.joined(separator: " | ")
            body += requiredKeys.isEmpty ? " ( \(choice) )?" : #" ( "," space ( \#(choice) ) )?"#
        }
        body += #" "}" space"#
        return try addRule(ruleName, body, path: path)
    }

    /// `keys.first`'s key-value pair (optional after a comma when `firstIsOptional`), then
    /// a rule offering the remaining keys the same way.
    mutating func optionalSequence(_ keys: ArraySlice<String>, kvRules: [String: String], name: String,
                                   firstIsOptional: Bool, path: String) throws(Failure) -> String {
        guard let key = keys.first else { return "" }
        let kv = kvRules[key] ?? ""
        var out = firstIsOptional ? #"( "," space \#(kv) )?"# : kv
        if keys.count > 1 {
            let rest = try optionalSequence(keys.dropFirst(), kvRules: kvRules, name: name, firstIsOptional: true, path: path)
            out += " " + (try addRule(Self.child(name, key) + "-rest", rest, path: path))
        }
        return out
    }

    /// `[` items `]` with `items` (any value when absent) repeated `minItems`…`maxItems` times.
    mutating func arrayRule(_ s: [String: JSONValue], name: String, ruleName: String, path: String,
                            depth: Int) throws(Failure) -> String {
        let item: String
        switch s["items"] {
        case nil: item = try addPrimitive("value", path: path)
        case .array?:
            throw Failure(message: "items as an array (tuples) is not supported", path: Self.join(path, "items"))
        case let schema?:
            item = try visit(schema, name: Self.child(name, "item"), path: Self.join(path, "items"), depth: depth + 1)
        }
        let minItems = try Self.count(s, "minItems", path: path, isMinimum: true) ?? 0
        let maxItems = try Self.count(s, "maxItems", path: path, isMinimum: false)
        if let maxItems, maxItems < minItems {
            throw Failure(message: "maxItems is smaller than minItems", path: Self.join(path, "maxItems"))
        }
        if s["items"] == nil && minItems == 0 && maxItems == nil { return try addPrimitive("array", path: path) }
        let items = JSONSchemaGrammar.repetition(item, min: minItems, max: maxItems, separator: #""," space"#)
        return try addRule(ruleName, #""[" space "# + items + #" "]" space"#, path: path)
    }

    /// The rule name for a `$ref`, converting its target the first time (a reference met
    /// again while its target is being converted just uses the name: GBNF allows recursion).
    mutating func resolve(_ ref: JSONValue, path: String, depth: Int) throws(Failure) -> String {
        guard case .string(let text) = ref else { throw Failure(message: "$ref must be a string", path: path) }
        if let known = refRules[text] { return known }
        var section = ""
        var key = ""
        for prefix in ["#/$defs/", "#/definitions/"] where text.hasPrefix(prefix) {
            section = String(prefix.dropFirst(2).dropLast())
            key = String(text.dropFirst(prefix.count))
        }
        guard !key.isEmpty, !key.contains("/") else {
            throw Failure(message: ##"only references to "#", "#/$defs/NAME" and "#/definitions/NAME" are supported"##,
                          path: path)
        }
        // A JSON Pointer token inside a URI fragment: percent-decoded, then ~1 → /, ~0 → ~.
        key = (key.removingPercentEncoding ?? key)
            .replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
        guard let (target, targetPath) = definitions[section]?[key] else {
            throw Failure(message: "\(text) names no definition", path: path)
        }
        let name = try reserve("ref" + JSONSchemaGrammar.sanitize(String(text.dropFirst())), path: path)
        refRules[text] = name
        let body = try visit(target, name: name, path: targetPath, depth: depth + 1)
        if pending.contains(name) {
            // The target is a primitive or another reference: name it here.
            guard body != name else {
                throw Failure(message: "the definition refers only to itself", path: targetPath)
            }
            pending.remove(name)
            rules[name] = body
        }
        return name
    }

    // MARK: Rules

    /// Adds `name ::= body` and returns the name used: `name` sanitized, or, when a
    /// different rule already has it, that name followed by the first free number.
    mutating func addRule(_ name: String, _ body: String, path: String) throws(Failure) -> String {
        let base = JSONSchemaGrammar.sanitize(name)
        if pending.remove(base) != nil {
            rules[base] = body
            return base
        }
        var key = base
        var next = 0
        while pending.contains(key) || rules[key].map({ $0 != body }) ?? false {
            key = base + String(next)
            next += 1
        }
        if rules[key] == nil {
            try checkRuleCount(path: path)
            rules[key] = body
        }
        return key
    }

    /// `name ::= target`, for the root.
    mutating func addAlias(_ name: String, to target: String, path: String) throws(Failure) {
        try checkRuleCount(path: path)
        rules[name] = target
    }

    /// Reserves a free name derived from `base` for a rule defined later.
    mutating func reserve(_ base: String, path: String) throws(Failure) -> String {
        let sanitized = JSONSchemaGrammar.sanitize(base)
        var key = sanitized
        var next = 0
        while pending.contains(key) || rules[key] != nil {
            key = sanitized + String(next)
            next += 1
        }
        try checkRuleCount(path: path)
        pending.insert(key)
        return key
    }

    /// Adds the primitive rule `name` and those it uses; returns `name`.
    mutating func addPrimitive(_ name: String, path: String) throws(Failure) -> String {
        var added = rules
        Primitive.add(name, to: &added)
        guard added.count + pending.count <= JSONSchemaGrammar.maxRules else { throw tooManyRules(path: path) }
        rules = added
        return name
    }

    /// Throws unless one more rule fits under `maxRules`.
    func checkRuleCount(path: String) throws(Failure) {
        guard rules.count + pending.count < JSONSchemaGrammar.maxRules else { throw tooManyRules(path: path) }
    }

    func tooManyRules(path: String) -> Failure {
        Failure(message: "the grammar would need more than \(JSONSchemaGrammar.maxRules) rules", path: path)
    }

    // MARK: Keyword helpers

    /// Refuses value keywords beside `keyword` (annotations and ignored keywords may stay).
    func onlyAnnotations(beside keyword: String, in s: [String: JSONValue], path: String) throws(Failure) {
        if let other = s.keys.filter({ $0 != keyword && Self.valueKeywords.contains($0) }).sorted().first {
            throw Failure(message: "\(other) beside \(keyword) is not supported: move it into the schemas \(keyword) names",
                          path: Self.join(path, other))
        }
    }

    /// The `type` keyword's type names (duplicates dropped), or nil when absent.
    static func types(of value: JSONValue?, path: String) throws(Failure) -> [String]? {
        let names: [JSONValue]
        switch value {
        case nil: return nil
        case .string(let type)?: names = [.string(type)]
        case .array(let list)? where !list.isEmpty: names = list
        default: throw Failure(message: "type must be a type name or a non-empty array of them", path: path)
        }
        var out: [String] = []
        for name in names {
            guard case .string(let type) = name, types.contains(type) else {
                throw Failure(message: "unknown type \(name.jsonText)", path: path)
            }
            if !out.contains(type) { out.append(type) }
        }
        return out
    }

    /// The type a schema without `type` means, from the keywords it has.
    static func impliedType(_ s: [String: JSONValue]) -> String? {
        if s["properties"] != nil || s["additionalProperties"] != nil || s["required"] != nil { return "object" }
        if s["items"] != nil || s["minItems"] != nil || s["maxItems"] != nil { return "array" }
        if s["minLength"] != nil || s["maxLength"] != nil { return "string" }
        return nil
    }

    /// Whether `value` is of JSON Schema type `type`.
    static func value(_ value: JSONValue, hasType type: String) -> Bool {
        switch (value, type) {
        case (.null, "null"), (.bool, "boolean"), (.string, "string"), (.array, "array"), (.object, "object"),
             (.number, "number"):
            return true
        case (.number(let n), "integer"): return n.rounded() == n
        default: return false
        }
    }

    /// `s[keyword]`, a bound on a count: nil when absent or when a maximum exceeds
    /// `maxRepetition` (unbounded then); refused unless a whole number ≥ 0, and when a
    /// minimum exceeds `maxRepetition`.
    static func count(_ s: [String: JSONValue], _ keyword: String, path: String,
                      isMinimum: Bool) throws(Failure) -> Int? {
        guard let value = s[keyword] else { return nil }
        guard case .number(let n) = value, n.rounded() == n, n >= 0 else {
            throw Failure(message: "\(keyword) must be a whole number", path: join(path, keyword))
        }
        guard n <= Double(JSONSchemaGrammar.maxRepetition) else {
            if !isMinimum { return nil }
            throw Failure(message: "\(keyword) above \(JSONSchemaGrammar.maxRepetition) is not supported",
                          path: join(path, keyword))
        }
        return Int(n)
    }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : path + "." + key }

    /// The rule name of `part` (a property, `item`, …) inside the schema named `name`.
    static func child(_ name: String, _ part: String) -> String {
        let part = part.isEmpty ? "empty" : part
        return name.isEmpty ? part : name + "-" + part
    }

    /// The rule name of alternative `index` of the schema named `name`.
    static func alternative(_ name: String, _ index: Int) -> String {
        (name.isEmpty ? "alternative-" : name + "-") + String(index)
    }
}

// MARK: - JSONValue

/// A JSON value (decodable from any JSON).
///
/// `.object` is an unordered dictionary: text generated from it (`jsonText`, grammars)
/// uses sorted keys.
public enum JSONValue: Sendable, Equatable, Hashable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let n = try? c.decode(Double.self) {
            self = .number(n)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([JSONValue].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: JSONValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n): try c.encode(n)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    /// Compact JSON text (no spaces, object keys sorted, integral numbers without a
    /// fraction): the exact text a `const` or `enum` value's grammar accepts.
    var jsonText: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let n):
            guard n.isFinite else { return "null" }
            if n.rounded() == n && abs(n) < 1e15 { return String(Int64(n)) }
            return "\(n)"
        case .string(let s):
            var out = "\""
            for u in s.unicodeScalars {
                switch u {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\r": out += "\\r"
                case "\t": out += "\\t"
                case "\u{8}": out += "\\b"
                case "\u{C}": out += "\\f"
                case _ where u.value < 0x20:
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                default: out.unicodeScalars.append(u)
                }
            }
            return out + "\""
        case .array(let a): return "[" + a.map(\.jsonText).joined(separator: ",") + "]"
        case .object(let o):
            return "{" + o.sorted { $0.key < $1.key }.map { JSONValue.string($0.key).jsonText + ":" + $0.value.jsonText }
                .joined(separator: ",") + "}"
        }
    }
}
