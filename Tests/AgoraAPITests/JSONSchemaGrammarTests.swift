@testable import AgoraAPI
import Foundation
import Testing

/// JSON Schema → GBNF. These tests check the grammar text and its structure (every rule
/// it uses is defined); that llama.cpp's grammar sampler loads these grammars and walks
/// valid instances to the end was checked outside the suite against the real library.
@Suite("JSON Schema to GBNF")
struct JSONSchemaGrammarTests {
    /// `text` decoded as a `JSONValue`.
    static func json(_ text: String) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    /// The grammar for the schema written as JSON text.
    static func grammar(_ schema: String) throws -> String {
        try JSONSchemaGrammar.grammar(for: json(schema))
    }

    /// The error the schema written as JSON text gives, or nil when it converts.
    static func failure(_ schema: String) throws -> JSONSchemaGrammarError? {
        let value = try json(schema)
        do {
            _ = try JSONSchemaGrammar.grammar(for: value)
            return nil
        } catch {
            return error
        }
    }

    /// Rule name → body.
    static func rules(_ grammar: String) -> [String: String] {
        var out: [String: String] = [:]
        for line in grammar.split(separator: "\n") {
            guard let range = line.range(of: " ::= ") else { continue }
            out[String(line[..<range.lowerBound])] = String(line[range.upperBound...])
        }
        return out
    }

    /// The rule names a body refers to (outside string literals, character classes and
    /// repetition counts).
    static func references(_ body: String) -> Set<String> {
        var names: Set<String> = []
        var word = ""
        var iterator = body.makeIterator()
        func flush() {
            if !word.isEmpty { names.insert(word) }
            word = ""
        }
        while let c = iterator.next() {
            switch c {
            case "\"", "[", "{":
                flush()
                let close: Character = c == "\"" ? "\"" : c == "[" ? "]" : "}"
                while let d = iterator.next(), d != close {
                    if d == "\\" { _ = iterator.next() }
                }
            case _ where c.isASCII && (c.isLetter || c.isNumber || c == "-"):
                word.append(c)
            default:
                flush()
            }
        }
        flush()
        return names
    }

    /// Every grammar must have a root and define every rule it uses.
    static func expectWellFormed(_ grammar: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let table = rules(grammar)
        #expect(grammar.hasPrefix("root ::= "), sourceLocation: sourceLocation)
        #expect(table.count == grammar.split(separator: "\n").count, "one rule per line", sourceLocation: sourceLocation)
        for (name, body) in table {
            #expect(name.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-") },
                    "rule name \(name)", sourceLocation: sourceLocation)
            let undefined = references(body).subtracting(table.keys)
            #expect(undefined.isEmpty, "\(name) uses undefined \(undefined)", sourceLocation: sourceLocation)
        }
    }

    /// llama.cpp's primitive rules, which the grammars must reproduce verbatim.
    static let primitives: [String: String] = [
        "space": #"| " " | "\n"{1,2} [ \t]{0,20}"#,
        "string": #""\"" char* "\"" space"#,
        "char": #"[^"\\\x7F\x00-\x1F] | [\\] (["\\bfnrt] | "u" [0-9a-fA-F]{4})"#,
        "integer": #"("-"? integral-part) space"#,
        "integral-part": "[0] | [1-9] [0-9]{0,15}",
        "number": #"("-"? integral-part) ("." decimal-part)? ([eE] [-+]? integral-part)? space"#,
        "decimal-part": "[0-9]{1,16}",
        "boolean": #"("true" | "false") space"#,
        "null": #""null" space"#,
        "value": "object | array | string | number | boolean | null",
        "object": #""{" space ( string ":" space value ("," space string ":" space value)* )? "}" space"#,
        "array": #""[" space ( value ("," space value)* )? "]" space"#,
    ]

    @Test("a small object: the whole grammar, required first, optional after, primitives as llama.cpp has them")
    func smallObject() throws {
        let g = try Self.grammar(##"""
            {"type": "object", "description": "ignored", "properties": {
               "name": {"type": "string", "title": "ignored"}, "age": {"type": "integer", "minimum": 0}},
             "required": ["name"]}
            """##)
        let table = Self.rules(g)
        #expect(table["root"] == #""{" space name-kv ( "," space ( age-kv ) )? "}" space"#)
        #expect(table["name-kv"] == #""\"name\"" space ":" space string"#)
        #expect(table["age-kv"] == #""\"age\"" space ":" space integer"#)
        #expect(Set(table.keys) == ["root", "name-kv", "age-kv", "string", "char", "integer", "integral-part", "space"])
        for (name, body) in table where Self.primitives[name] != nil {
            #expect(body == Self.primitives[name], "\(name)")
        }
        // Output order: root, then by name, so the same schema always gives the same text.
        #expect(g.split(separator: "\n").map { String($0.prefix { $0 != " " }) }
            == ["root", "age-kv", "char", "integer", "integral-part", "name-kv", "space", "string"])
        #expect(g == (try Self.grammar(##"{"required": ["name"], "properties": {"age": {"type": "integer"}, "name": {"type": "string"}}, "type": "object"}"##)))
        Self.expectWellFormed(g)
    }

    @Test("json_object: any object at the root, with the free-form value rules")
    func anyObject() {
        let table = Self.rules(JSONSchemaGrammar.anyObject)
        #expect(table["root"] == "object")
        // Everything a JSON value needs (`integer` is not: numbers cover it).
        #expect(Set(table.keys) == Set(Self.primitives.keys).subtracting(["integer"]).union(["root"]))
        for (name, body) in Self.primitives where name != "integer" { #expect(table[name] == body, "\(name)") }
        Self.expectWellFormed(JSONSchemaGrammar.anyObject)
    }

    @Test("optional properties: any subset, in sorted order, through shared -rest rules")
    func optionalProperties() throws {
        let table = Self.rules(try Self.grammar(##"""
            {"type": "object", "additionalProperties": false, "required": ["z", "m"], "properties": {
               "z": {"type": "string"}, "m": {"type": "boolean"}, "c": {"type": "number"}, "a": {"type": "null"}, "b": {}}}
            """##))
        #expect(table["root"] == #""{" space m-kv "," space z-kv ( "," space ( a-kv a-rest | b-kv b-rest | c-kv ) )? "}" space"#)
        #expect(table["a-rest"] == #"( "," space b-kv )? b-rest"#)
        #expect(table["b-rest"] == #"( "," space c-kv )?"#)
        #expect(table["b-kv"] == #""\"b\"" space ":" space value"#)
        // additionalProperties true beside properties is narrowed: the same grammar.
        #expect(try Self.grammar(##"{"properties": {"a": {"type": "string"}}, "additionalProperties": true}"##)
            == (try Self.grammar(##"{"properties": {"a": {"type": "string"}}}"##)))
        #expect(Self.rules(try Self.grammar(##"{"type": "object", "properties": {}}"##))["root"] == #""{" space  "}" space"#)
    }

    @Test("objects without properties: any object, or a map when additionalProperties is a schema")
    func freeFormObjects() throws {
        #expect(Self.rules(try Self.grammar(##"{"type": "object"}"##))["root"] == "object")
        #expect(Self.rules(try Self.grammar(##"{"type": "object", "additionalProperties": true}"##))["root"] == "object")
        let map = Self.rules(try Self.grammar(##"{"type": "object", "additionalProperties": {"type": "integer"}}"##))
        #expect(map["root"] == #""{" space ( additional-kv ( "," space additional-kv )* )? "}" space"#)
        #expect(map["additional-kv"] == #"string ":" space integer"#)
        #expect(Self.rules(try Self.grammar("{}"))["root"] == "value")
        #expect(Self.rules(try Self.grammar("true"))["root"] == "value")
        #expect(Self.rules(try Self.grammar(##"{"description": "anything"}"##))["root"] == "value")
    }

    @Test("enum and const: exact JSON text as escaped GBNF literals; values of another type dropped")
    func enumsAndConsts() throws {
        let table = Self.rules(try Self.grammar(##"""
            {"type": "object", "required": ["c", "k", "l", "o"], "properties": {
               "c": {"type": "string", "enum": ["red", "say \"hi\"", "back\\slash", "line\nbreak", 3]},
               "l": {"enum": [1, 2.5, null, true]},
               "k": {"const": "fixed"},
               "o": {"const": {"b": [1, "x"], "a": null}}}}
            """##))
        #expect(table["c"] == #"("\"red\"" | "\"say \\\"hi\\\"\"" | "\"back\\\\slash\"" | "\"line\\nbreak\"") space"#)
        #expect(table["l"] == #"("1" | "2.5" | "null" | "true") space"#)
        #expect(table["k"] == #""\"fixed\"" space"#)
        #expect(table["o"] == #""{\"a\":null,\"b\":[1,\"x\"]}" space"#)
        // OpenAI's nullable enum: a type array with null in the enum.
        #expect(Self.rules(try Self.grammar(##"{"type": ["string", "null"], "enum": ["a", null]}"##))["root"]
            == #"("\"a\"" | "null") space"#)
        #expect(JSONSchemaGrammar.literal("a\"b\\c\nd\re\tf\u{1}") == #""a\"b\\c\nd\re\tf\x01""#)
    }

    @Test("anyOf, oneOf and type arrays: one rule of alternatives")
    func unions() throws {
        let table = Self.rules(try Self.grammar(##"""
            {"type": "object", "required": ["n", "r", "t"], "properties": {
               "n": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": null},
               "t": {"type": ["integer", "array"], "items": {"type": "string"}},
               "r": {"oneOf": [{"type": "object", "properties": {"ok": {"const": true}}, "required": ["ok"]},
                               {"type": "object", "properties": {"error": {"type": "string"}}, "required": ["error"]}]}}}
            """##))
        #expect(table["n"] == "string | null")
        #expect(table["t"] == "integer | t-1")
        #expect(table["t-1"] == #""[" space (string ("," space string)*)? "]" space"#)
        #expect(table["r"] == "r-0 | r-1")
        #expect(table["r-0"] == #""{" space r-0-ok-kv "}" space"#)
        #expect(Self.rules(try Self.grammar(##"{"type": ["string", "null"]}"##))["root"] == "string | null")
        #expect(Self.rules(try Self.grammar(##"{"anyOf": [{"type": "integer"}, {"type": "object", "properties": {}}]}"##))["root"]
            == "integer | alternative-1")
    }

    @Test("$ref to $defs and definitions, recursion included, and allOf with one schema")
    func references() throws {
        let g = try Self.grammar(##"""
            {"$defs": {"Node": {"type": "object", "required": ["value"], "properties": {
                          "value": {"type": "integer"}, "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}}},
                       "Status": {"enum": ["open", "closed"]},
                       "Unused": {"type": "string", "pattern": "^x$"}},
             "definitions": {"Id": {"type": "integer"}},
             "type": "object", "required": ["tree", "status", "id"], "properties": {
               "tree": {"$ref": "#/$defs/Node", "description": "annotations beside $ref are fine"},
               "status": {"allOf": [{"$ref": "#/$defs/Status"}]},
               "id": {"$ref": "#/definitions/Id"},
               "parent": {"anyOf": [{"$ref": "#"}, {"type": "null"}]}}}
            """##)
        let table = Self.rules(g)
        #expect(table["tree-kv"] == #""\"tree\"" space ":" space ref-defs-Node"#)
        #expect(table["ref-defs-Node"] == #""{" space ref-defs-Node-value-kv ( "," space ( ref-defs-Node-children-kv ) )? "}" space"#)
        #expect(table["ref-defs-Node-children"] == #""[" space (ref-defs-Node ("," space ref-defs-Node)*)? "]" space"#)
        #expect(table["ref-defs-Status"] == #"("\"open\"" | "\"closed\"") space"#)
        #expect(table["ref-definitions-Id"] == "integer")
        #expect(table["parent"] == "root | null")
        Self.expectWellFormed(g)
        // An unused definition is never converted, so its pattern does not matter.
        #expect(table.keys.allSatisfy { !$0.contains("Unused") })
        #expect(Self.rules(try Self.grammar(##"{"$defs": {"A": {"type": "string"}}, "$ref": "#/$defs/A"}"##))["root"] == "ref-defs-A")
    }

    @Test("$defs nested in a wrapped schema (a tool's parameters inside a call) still resolve, as llama.cpp hoists them")
    func nestedDefinitions() throws {
        let g = try Self.grammar(##"""
            {"type": "object", "required": ["name", "arguments"], "additionalProperties": false, "properties": {
               "name": {"const": "get_weather"},
               "arguments": {"$defs": {"Unit": {"enum": ["c", "f"]}, "Bad": {"pattern": "x"}},
                             "type": "object", "required": ["unit"], "properties": {"unit": {"$ref": "#/$defs/Unit"}}}}}
            """##)
        let table = Self.rules(g)
        #expect(table["arguments-unit-kv"] == #""\"unit\"" space ":" space ref-defs-Unit"#)
        #expect(table["ref-defs-Unit"] == #"("\"c\"" | "\"f\"") space"#)
        Self.expectWellFormed(g)
        // Errors inside a nested definition name where it really is.
        #expect(try Self.failure(##"{"properties": {"a": {"$defs": {"B": {"pattern": "x"}}, "$ref": "#/$defs/B"}}}"##)?.path
            == "properties.a.$defs.B.pattern")
        // On a name clash the root's definition wins.
        #expect(Self.rules(try Self.grammar(##"""
            {"$defs": {"U": {"type": "integer"}}, "type": "object", "required": ["a"], "properties": {
               "a": {"$defs": {"U": {"type": "string"}}, "$ref": "#/$defs/U"}}}
            """##))["ref-defs-U"] == "integer")
    }

    @Test("arrays and strings: minItems/maxItems and minLength/maxLength as GBNF repetitions")
    func repetitions() throws {
        let table = Self.rules(try Self.grammar(##"""
            {"type": "object", "required": ["a", "b", "c", "d", "s", "u"], "properties": {
               "a": {"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 3},
               "b": {"type": "array", "items": {"type": "integer"}, "minItems": 2},
               "c": {"type": "array", "maxItems": 0},
               "d": {"type": "array"},
               "s": {"type": "string", "minLength": 1, "maxLength": 40},
               "u": {"type": "string", "minLength": 2, "maxLength": 100000}}}
            """##))
        #expect(table["a"] == #""[" space integer ("," space integer){0,2} "]" space"#)
        #expect(table["b"] == #""[" space integer ("," space integer)+ "]" space"#)
        #expect(table["c"] == #""[" space  "]" space"#)
        #expect(table["d-kv"] == #""\"d\"" space ":" space array"#)
        #expect(table["s"] == #""\"" char{1,40} "\"" space"#)
        // Past llama.cpp's repetition limit a maximum is left out, as llama.cpp itself does.
        #expect(table["u"] == #""\"" char{2,} "\"" space"#)
    }

    @Test("rule names: sanitized to [a-zA-Z0-9-], reserved names and collisions renamed")
    func ruleNames() throws {
        let g = try Self.grammar(##"""
            {"type": "object", "required": ["weird key/é", "root", "string", "", "a b", "a-b"], "properties": {
               "weird key/é": {"type": "object", "properties": {"x": {"type": "boolean"}}},
               "root": {"type": "object", "properties": {}},
               "string": {"type": "array", "items": {"type": "string"}},
               "": {"type": "null"},
               "a b": {"enum": [1]}, "a-b": {"enum": [2]}}}
            """##)
        let table = Self.rules(g)
        #expect(table["weird-key-"] != nil && table["weird-key--x-kv"] != nil)
        #expect(table["root-"] == #""{" space  "}" space"#)
        #expect(table["string-"] == #""[" space (string ("," space string)*)? "]" space"#)
        #expect(table["empty-kv"] == #""\"\"" space ":" space null"#)
        #expect(table["weird-key--kv"] == #""\"weird key/é\"" space ":" space weird-key-"#)
        // "a b" and "a-b" both sanitize to a-b: the second gets a number.
        #expect(Set([table["a-b"], table["a-b0"]]) == Set([#"("1") space"#, #"("2") space"#]))
        Self.expectWellFormed(g)
    }

    @Test("refused: pattern and other structural keywords, named by path")
    func refusedKeywords() throws {
        let pattern = try Self.failure(##"""
            {"type": "object", "properties": {"address": {"type": "object", "properties": {
               "zip": {"type": "string", "pattern": "^[0-9]{5}$"}}}}}
            """##)
        #expect(pattern?.path == "properties.address.properties.zip.pattern")
        #expect(pattern?.message.contains("pattern") == true)
        #expect(try Self.failure(##"{"properties": {"address": {"pattern": "x"}}}"##)?.path == "properties.address.pattern")
        #expect(try Self.failure(##"{"anyOf": [{"type": "string"}, {"not": {}}]}"##)?.path == "anyOf[1].not")
        #expect(try Self.failure(##"{"type": "array", "prefixItems": []}"##)?.path == "prefixItems")
        #expect(try Self.failure(##"{"type": "array", "items": [{"type": "string"}]}"##)?.path == "items")
        #expect(try Self.failure(##"{"allOf": [{"type": "string"}, {"maxLength": 3}]}"##)?.path == "allOf")
        #expect(try Self.failure(##"{"type": "object", "minProperties": 1}"##)?.path == "minProperties")
    }

    @Test("refused: unknown types, malformed schemas, bad references")
    func refusedSchemas() throws {
        #expect(try Self.failure(##"{"properties": {"a": {"type": "date"}}}"##)
            == JSONSchemaGrammarError(message: #"unknown type "date""#, path: "properties.a.type"))
        #expect(try Self.failure(##"{"type": ["string", 3]}"##)?.path == "type")
        #expect(try Self.failure("false")?.path == "")
        #expect(try Self.failure(##"{"properties": {"a": false}}"##)?.path == "properties.a")
        #expect(try Self.failure(##"{"properties": {"a": 3}}"##)?.path == "properties.a")
        #expect(try Self.failure(##"{"enum": []}"##)?.path == "enum")
        #expect(try Self.failure(##"{"type": "string", "enum": [1, 2]}"##)?.path == "enum")
        #expect(try Self.failure(##"{"type": "string", "const": 1}"##)?.path == "const")
        #expect(try Self.failure(##"{"properties": {"a": {}}, "required": ["b"]}"##)?.path == "required")
        #expect(try Self.failure(##"{"properties": {"a": {}}, "additionalProperties": {"type": "string"}}"##)?.path
            == "additionalProperties")
        #expect(try Self.failure(##"{"type": "array", "minItems": 3, "maxItems": 2}"##)?.path == "maxItems")
        #expect(try Self.failure(##"{"type": "array", "minItems": 1.5}"##)?.path == "minItems")
        #expect(try Self.failure(##"{"type": "string", "minLength": 2001}"##)?.path == "minLength")
        #expect(try Self.failure(##"{"properties": {"a": {"$ref": "#/$defs/Missing"}}}"##)?.path == "properties.a.$ref")
        #expect(try Self.failure(##"{"properties": {"a": {"$ref": "https://example.com/s.json"}}}"##)?.path == "properties.a.$ref")
        #expect(try Self.failure(##"{"$defs": {"A": {"type": "integer"}}, "properties": {"a": {"$ref": "#/$defs/A", "type": "string"}}}"##)?.path
            == "properties.a.type")
        #expect(try Self.failure(##"{"type": "object", "anyOf": [{"required": ["a"]}]}"##)?.path == "type")
        #expect(try Self.failure(##"{"$defs": {"A": {"$ref": "#/$defs/A"}}, "$ref": "#/$defs/A"}"##)?.path == "$defs.A")
        #expect(try Self.failure(##"{"$defs": {"A": {"properties": {"p": {"pattern": "x"}}}}, "$ref": "#/$defs/A"}"##)?.path
            == "$defs.A.properties.p.pattern")
    }

    @Test("limits: nesting deeper than 32 levels and more than 1,000 rules are refused")
    func limits() throws {
        func nested(_ levels: Int) -> String {
            var schema = ##"{"type": "string"}"##
            for _ in 0..<levels { schema = ##"{"type": "object", "properties": {"a": \##(schema)}}"## }
            return schema
        }
        #expect(try Self.failure(nested(32)) == nil)
        let deep = try Self.failure(nested(33))
        #expect(deep?.path == Array(repeating: "properties.a", count: 33).joined(separator: "."))
        #expect(deep?.message.contains("32") == true)
        var arrays = ##"{"type": "integer"}"##
        for _ in 0..<40 { arrays = ##"{"type": "array", "items": \##(arrays)}"## }
        #expect(try Self.failure(arrays)?.message.contains("deeper") == true)

        func wide(_ count: Int) -> String {
            "{\"properties\": {" + (0..<count).map { "\"p\($0)\": {\"type\": \"string\"}" }.joined(separator: ", ") + "}}"
        }
        #expect(try Self.failure(wide(400)) == nil)
        #expect(try Self.failure(wide(600))?.message.contains("1000 rules") == true)
    }

    @Test("JSONValue decodes any JSON and encodes it back")
    func jsonValue() throws {
        let text = ##"{"a": [1, 2.5, true, false, null, "x"], "b": {"c": {}}}"##
        let value = try Self.json(text)
        #expect(value == .object(["a": .array([.number(1), .number(2.5), .bool(true), .bool(false), .null, .string("x")]),
                                  "b": .object(["c": .object([:])])]))
        #expect(try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value)) == value)
        #expect(value.jsonText == ##"{"a":[1,2.5,true,false,null,"x"],"b":{"c":{}}}"##)
        #expect(JSONValue.string("é\u{1}\"\\/").jsonText == #""é\u0001\"\\/""#)
    }
}
