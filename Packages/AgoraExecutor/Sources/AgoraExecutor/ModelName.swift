import Foundation

/// What a model's readable name is built from: `general.*` keys of its GGUF file, the file's
/// name, and what llama.cpp reports about it. Every field but `fileName` may be missing.
public struct ModelNameMetadata: Sendable, Equatable {
    /// `general.basename` ("smollm2", "Qwen2.5-Coder").
    public var basename: String?
    /// `general.name` ("Smollm2 135M 8k Lc100K Mix1 Ep2").
    public var name: String?
    /// `general.size_label` ("135M", "0.5B", "8x7B").
    public var sizeLabel: String?
    /// `general.finetune` ("Instruct-AWQ", "8k-lc100k-mix1-ep2").
    public var finetune: String?
    /// `general.file_type`: llama.cpp's `llama_ftype` (3 = Q4_1, 15 = Q4_K_M).
    public var fileType: Int?
    /// Parameter count (`llama_model_n_params`), for a size when the file has no size label.
    public var parameterCount: UInt64?
    /// `llama_model_desc` ("llama 256M Q4_1", "qwen2 1B Q4_K - Medium"), for the quantisation
    /// when the file has no `general.file_type`.
    public var description: String?
    /// The file's name or path ("SmolLM2-135M-Instruct.Q4_1.gguf").
    public var fileName: String

    /// Creates the metadata; only the file name is required.
    public init(basename: String? = nil, name: String? = nil, sizeLabel: String? = nil, finetune: String? = nil,
                fileType: Int? = nil, parameterCount: UInt64? = nil, description: String? = nil, fileName: String) {
        self.basename = basename
        self.name = name
        self.sizeLabel = sizeLabel
        self.finetune = finetune
        self.fileType = fileType
        self.parameterCount = parameterCount
        self.description = description
        self.fileName = fileName
    }
}

/// A model's readable name in Ollama's style, `<family>:<size>-<variant>-<quantisation>`
/// (`smollm2:135m-instruct-q4_1`, `qwen2.5-coder:0.5b-instruct-q4_k_m`), and the shorter names
/// a user may type for it. Every part is lowercase and made only of `a-z 0-9 . _ -`; a part
/// that cannot be found is left out.
///
/// - family: `general.basename`; else the leading words of `general.name`, then of the file
///   name, up to the first size, variant or quantisation word ("Qwen2.5 Coder 0.5B Instruct"
///   → `qwen2.5-coder`; all of it when it starts with such a word).
/// - size: `general.size_label`; else the parameter count rounded (`135m`, `494m`, `1.2b`).
/// - variant: `instruct` when that word is in `general.finetune`, `general.name` or the file
///   name; else `chat`, else `it`, found the same way; else none (a finetune such as
///   "8k-lc100k-mix1-ep2" says nothing a user would type).
/// - quantisation: from `general.file_type`; else the quantisation in llama.cpp's model
///   description.
public struct ModelName: Sendable, Equatable {
    /// The family (`smollm2`).
    public var family: String
    /// The size (`135m`), if known.
    public var size: String?
    /// `instruct`, `chat` or `it`, if the model is one.
    public var variant: String?
    /// The quantisation (`q4_1`), if known.
    public var quantisation: String?
    /// The file's name without `.gguf`, lowercased (`smollm2-135m-instruct.q4_1`).
    public var fileStem: String

    /// Builds the name from `metadata`.
    public init(_ metadata: ModelNameMetadata) {
        let stem = Self.fileStem(metadata.fileName)
        fileStem = stem.lowercased()
        if let base = metadata.basename.map(Self.sanitised), !base.isEmpty {
            family = base
        } else if let name = metadata.name.map(Self.leadingWords), !name.isEmpty {
            family = name
        } else {
            let fromFile = Self.leadingWords(stem)
            family = fromFile.isEmpty ? "model" : fromFile
        }
        if let label = metadata.sizeLabel.map(Self.sanitised), !label.isEmpty {
            size = label
        } else if let n = metadata.parameterCount, n > 0 {
            size = Self.size(parameterCount: n)
        } else {
            size = nil
        }
        let sources = [metadata.finetune, metadata.name, stem].compactMap { $0 }.map(Self.words)
        variant = ["instruct", "chat", "it"].first { v in sources.contains { $0.contains(v) } }
        quantisation = metadata.fileType.flatMap(Self.quantisation(fileType:))
            ?? metadata.description.flatMap(Self.quantisation(description:))
    }

    /// `family:size-variant-quantisation` (the family alone when nothing else is known).
    public var name: String { Self.join(family, [size, variant, quantisation]) }

    /// Shorter names that reach the model, most specific first and without repeats: the name
    /// without its quantisation, `family:size`, the family, and the file stem.
    public var aliases: [String] {
        let candidates = [Self.join(family, [size, variant]), Self.join(family, [size]), family, fileStem]
        var out: [String] = []
        for c in candidates where !c.isEmpty && c != name && !out.contains(c) { out.append(c) }
        return out
    }

    private static func join(_ family: String, _ parts: [String?]) -> String {
        let tag = parts.compactMap { $0 }.filter { !$0.isEmpty }
        return tag.isEmpty ? family : family + ":" + tag.joined(separator: "-")
    }

    /// `text` lowercased, every character outside `a-z 0-9 . _ -` replaced by `-`, runs of
    /// `-` collapsed, and `-`, `.`, `_` trimmed from both ends.
    public static func sanitised(_ text: String) -> String {
        var out = ""
        for scalar in text.lowercased().unicodeScalars {
            let c = Character(scalar)
            let allowed = ("a"..."z").contains(c) || ("0"..."9").contains(c) || c == "." || c == "_" || c == "-"
            let next: Character = allowed ? c : "-"
            if next == "-", out.last == "-" { continue }
            out.append(next)
        }
        return out.trimmingCharacters(in: CharacterSet(charactersIn: "-._"))
    }

    /// A parameter count as a size: `500k`, `135m`, `494m`, `1.2b`, `8b`.
    public static func size(parameterCount n: UInt64) -> String {
        let x = Double(n)
        if x < 999_500 { return "\(max(1, Int((x / 1e3).rounded())))k" }
        if x < 999_500_000 { return "\(Int((x / 1e6).rounded()))m" }
        var b = String(format: "%.1f", x / 1e9)
        if b.hasSuffix(".0") { b.removeLast(2) }
        return b + "b"
    }

    /// The quantisation of llama.cpp's `llama_ftype` `fileType`, nil when unknown.
    public static func quantisation(fileType: Int) -> String? { fileTypes[fileType] }

    private static let fileTypes: [Int: String] = [
        0: "f32", 1: "f16", 2: "q4_0", 3: "q4_1", 7: "q8_0", 8: "q5_0", 9: "q5_1", 10: "q2_k", 11: "q3_k_s",
        12: "q3_k_m", 13: "q3_k_l", 14: "q4_k_s", 15: "q4_k_m", 16: "q5_k_s", 17: "q5_k_m", 18: "q6_k",
        19: "iq2_xxs", 20: "iq2_xs", 21: "q2_k_s", 22: "iq3_xs", 23: "iq3_xxs", 24: "iq1_s", 25: "iq4_nl",
        26: "iq3_s", 27: "iq3_m", 28: "iq2_s", 29: "iq2_m", 30: "iq4_xs", 31: "iq1_m", 32: "bf16",
        36: "tq1_0", 37: "tq2_0", 38: "mxfp4", 39: "nvfp4", 40: "q1_0", 41: "q2_0",
    ]

    /// The quantisation in a `llama_model_desc` ("llama 256M Q4_1" → `q4_1`, "qwen2 1B Q4_K -
    /// Medium" → `q4_k_m`, "llama 7B all F32" → `f32`), nil when it names none.
    public static func quantisation(description: String) -> String? {
        // "<architecture> <size> <type name>": the type name is llama.cpp's `llama_model_ftype_name`.
        var words = description.split(separator: " ").dropFirst(2).map(String.init)
        if words.first == "all" { words.removeFirst() }
        guard let first = words.first else { return nil }
        var base = first.lowercased()
        guard base.range(of: #"^(i?q[0-9]+(_[a-z0-9]+)*|tq[0-9]_[0-9]|f16|f32|bf16|mxfp4|nvfp4)$"#,
                         options: .regularExpression) != nil else { return nil }
        let rest = words.dropFirst().joined(separator: " ")
        if base == "iq3_s", rest.hasPrefix("mix") { base = "iq3_m" }
        if base.hasSuffix("_k"), base != "q2_k", let dash = rest.range(of: "- ") {
            switch rest[dash.upperBound...].lowercased() {
            case "small": base += "_s"
            case "medium": base += "_m"
            case "large": base += "_l"
            default: break
            }
        }
        return base
    }

    /// A file name or path without its directory and `.gguf`.
    static func fileStem(_ path: String) -> String {
        let file = (path as NSString).lastPathComponent
        return file.lowercased().hasSuffix(".gguf") ? String(file.dropLast(5)) : file
    }

    /// The lowercase words of `text`, split on every character that is not a letter or digit.
    static func words(_ text: String) -> Set<String> {
        Set(text.lowercased().split { !($0.isASCII && ($0.isLetter || $0.isNumber)) }.map(String.init))
    }

    /// The words of `text` before its first size (`135M`, `0.5B`, `8x7B`), variant
    /// (`Instruct`, `Chat`, `it`) or quantisation (`Q4_K_M`, `F16`) word, joined by `-` and
    /// sanitised; all of `text` sanitised when it starts with such a word.
    static func leadingWords(_ text: String) -> String {
        // Words are split on spaces, `-` and `_` and other punctuation, and on a `.` unless it
        // stands between two digits ("Qwen2.5" stays whole; "Instruct.Q4_1" does not).
        var words: [String] = []
        var current = ""
        let chars = Array(text)
        for (i, c) in chars.enumerated() {
            let isDigitDot = c == "." && i > 0 && i + 1 < chars.count && chars[i - 1].isNumber && chars[i + 1].isNumber
            if c.isLetter || c.isNumber || isDigitDot {
                current.append(c)
            } else if !current.isEmpty {
                words.append(current)
                current = ""
            }
        }
        if !current.isEmpty { words.append(current) }
        let stop = #"^([0-9]+(\.[0-9]+)?[kmbt]|[0-9]+x[0-9]+(\.[0-9]+)?[kmbt]|instruct|chat|it|i?q[0-9].*|tq[0-9].*|f16|f32|bf16|fp16|fp32|gguf)$"#
        let leading = words.prefix { $0.lowercased().range(of: stop, options: .regularExpression) == nil }
        let joined = sanitised(leading.joined(separator: "-"))
        return joined.isEmpty ? sanitised(text) : joined
    }
}
