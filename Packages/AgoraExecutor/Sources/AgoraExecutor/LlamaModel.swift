import CLlama
import Foundation

/// A loaded GGUF model: weights, vocabulary and metadata. Its operations are read-only on
/// the model and safe from any thread (the llama.cpp server tokenizes on its HTTP threads
/// the same way); contexts that decode with it belong to `LlamaWorker`.
final class LlamaModel: @unchecked Sendable {
    // Safety: `pointer` is written once in init and freed in deinit; every use afterwards
    // is a read-only llama.cpp call (tokenize, detokenize, metadata).
    let pointer: OpaquePointer
    let vocab: OpaquePointer
    let info: ModelInfo
    /// The hyperparameters its memory depends on (`MemoryEstimate`).
    let shape: ModelShape
    /// Whether every op of this model is one the portable exact definition covers
    /// (`PortableExact.covers`).
    let portableCovered: Bool

    /// Loads `path`: checks the file, hashes it (cached), then lets llama.cpp map it.
    init(path: String, contextLength: Int) throws(ExecutorError) {
        LlamaBackend.ensureInitialised()
        let size = try ModelFile.check(path)
        let id = try ModelFile.modelID(path)
        shape = try ModelShape(path: path)
        portableCovered = PortableExact.covers(path: path)
        var params = llama_model_default_params()
        params.n_gpu_layers = 0
        guard let model = llama_model_load_from_file(path, params) else {
            throw ExecutorError(.modelLoadFailed, "llama.cpp could not load \(path) (\(size) bytes): the file is truncated, corrupt or of an unsupported architecture")
        }
        guard let vocab = llama_model_get_vocab(model) else {
            llama_model_free(model)
            throw ExecutorError(.modelLoadFailed, "\(path) has no vocabulary")
        }
        pointer = model
        self.vocab = vocab
        var descBuf = [CChar](repeating: 0, count: 128)
        _ = llama_model_desc(model, &descBuf, descBuf.count)
        let desc = Self.string(descBuf)
        let template = llama_model_chat_template(model, nil).map { String(cString: $0) }
        let text = { (key: String) -> String? in
            Self.meta(model, key).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : $0 }
        }
        let parameters = llama_model_n_params(model)
        let readable = ModelName(ModelNameMetadata(
            basename: text("general.basename"), name: text("general.name"), sizeLabel: text("general.size_label"),
            finetune: text("general.finetune"), fileType: text("general.file_type").flatMap { Int($0) },
            parameterCount: parameters, description: desc, fileName: path))
        info = ModelInfo(
            path: path, id: id, name: readable.name, aliases: readable.aliases,
            fileName: ModelName.fileStem(path),
            architecture: text("general.architecture") ?? desc.split(separator: " ").first.map(String.init) ?? "",
            metadataName: text("general.name"),
            trainingContextLength: Int(llama_model_n_ctx_train(model)),
            contextLength: contextLength,
            vocabularySize: Int(llama_vocab_n_tokens(vocab)),
            chatTemplate: template,
            parameterCount: parameters,
            quantisation: readable.quantisation?.uppercased() ?? desc.split(separator: " ").last.map(String.init) ?? desc,
            fileSize: size)
    }

    deinit { llama_model_free(pointer) }

    static func meta(_ model: OpaquePointer, _ key: String) -> String? {
        var buf = [CChar](repeating: 0, count: 512)
        let n = llama_model_meta_val_str(model, key, &buf, buf.count)
        guard n >= 0 else { return nil }
        return Self.string(buf)
    }

    /// The text of a NUL-terminated buffer.
    static func string(_ buf: [CChar]) -> String {
        let bytes = buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Whether `token` ends generation (EOS, EOT, …).
    func isEndOfGeneration(_ token: Int32) -> Bool { llama_vocab_is_eog(vocab, token) }

    /// Tokenizes `text`; `addSpecial` adds BOS if the model wants one; special tokens in
    /// the text (`<|im_start|>`) are parsed when `parseSpecial`.
    func tokenize(_ text: String, addSpecial: Bool, parseSpecial: Bool) throws(ExecutorError) -> [Int32] {
        let utf8 = Array(text.utf8)
        guard utf8.count < Int(Int32.max) / 2 else { throw ExecutorError(.tokenizeFailed, "text of \(utf8.count) bytes is too long") }
        var capacity = utf8.count + 8
        var out = [Int32](repeating: 0, count: capacity)
        var n = utf8.withUnsafeBufferPointer { b in
            b.withMemoryRebound(to: CChar.self) { c in
                llama_tokenize(vocab, c.baseAddress, Int32(c.count), &out, Int32(capacity), addSpecial, parseSpecial)
            }
        }
        if n < 0 {
            capacity = Int(-n)
            out = [Int32](repeating: 0, count: capacity)
            n = utf8.withUnsafeBufferPointer { b in
                b.withMemoryRebound(to: CChar.self) { c in
                    llama_tokenize(vocab, c.baseAddress, Int32(c.count), &out, Int32(capacity), addSpecial, parseSpecial)
                }
            }
        }
        guard n >= 0 else { throw ExecutorError(.tokenizeFailed, "llama.cpp could not tokenize a text of \(utf8.count) bytes") }
        return Array(out.prefix(Int(n)))
    }

    /// The bytes of one token (special tokens rendered as their text when `special`).
    func piece(_ token: Int32, special: Bool = false) -> [UInt8] {
        guard token >= 0, Int(token) < info.vocabularySize else { return [] }
        var buf = [CChar](repeating: 0, count: 64)
        var n = llama_token_to_piece(vocab, token, &buf, Int32(buf.count), 0, special)
        if n < 0 {
            buf = [CChar](repeating: 0, count: Int(-n))
            n = llama_token_to_piece(vocab, token, &buf, Int32(buf.count), 0, special)
        }
        guard n > 0 else { return [] }
        return buf.prefix(Int(n)).map { UInt8(bitPattern: $0) }
    }

    /// Text of `tokens` (end-of-generation and other control tokens left out).
    func detokenize(_ tokens: [Int32]) -> String {
        var bytes: [UInt8] = []
        for t in tokens where !llama_vocab_is_control(vocab, t) && !isEndOfGeneration(t) { bytes += piece(t) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Renders `messages` with the model's chat template, ending with the assistant opener.
    func applyChatTemplate(_ messages: [ChatMessage]) throws(ExecutorError) -> String {
        guard !messages.isEmpty else { throw ExecutorError(.templateFailed, "a chat prompt needs at least one message") }
        let template = llama_model_chat_template(pointer, nil)  // nil: llama.cpp falls back to chatml
        let roles = messages.map { strdup($0.role) }
        let contents = messages.map { strdup($0.content) }
        defer { roles.forEach { free($0) }; contents.forEach { free($0) } }
        var chat = zip(roles, contents).map { llama_chat_message(role: $0, content: $1) }
        let total = messages.reduce(0) { $0 + $1.role.utf8.count + $1.content.utf8.count }
        var capacity = Int32(clamping: total * 2 + 256)
        var buf = [CChar](repeating: 0, count: Int(capacity))
        var n = llama_chat_apply_template(template, &chat, chat.count, true, &buf, capacity)
        if n > capacity {
            capacity = n + 1
            buf = [CChar](repeating: 0, count: Int(capacity))
            n = llama_chat_apply_template(template, &chat, chat.count, true, &buf, capacity)
        }
        guard n >= 0, n <= capacity else {
            throw ExecutorError(.templateFailed, "the chat template of \(info.name) is not supported by llama.cpp's built-in templates")
        }
        return String(decoding: buf.prefix(Int(n)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The prompt's tokens for `prompt`.
    func promptTokens(_ prompt: Prompt) throws(ExecutorError) -> [Int32] {
        let tokens: [Int32]
        switch prompt {
        case .chat(let messages):
            tokens = try tokenize(try applyChatTemplate(messages), addSpecial: true, parseSpecial: true)
        case .text(let text):
            tokens = try tokenize(text, addSpecial: true, parseSpecial: false)
        case .tokens(let ids):
            for (i, t) in ids.enumerated() where t < 0 || Int(t) >= info.vocabularySize {
                throw ExecutorError(.tokenizeFailed, "prompt token \(i) is \(t), outside the vocabulary (0..<\(info.vocabularySize))")
            }
            tokens = ids
        }
        guard !tokens.isEmpty else { throw ExecutorError(.tokenizeFailed, "the prompt is empty") }
        return tokens
    }
}
