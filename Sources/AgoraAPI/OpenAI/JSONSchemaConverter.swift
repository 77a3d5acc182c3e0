import Foundation

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
