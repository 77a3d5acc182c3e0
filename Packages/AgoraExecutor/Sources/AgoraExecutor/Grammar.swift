import CLlama

/// A GBNF grammar's state over one output, through llama.cpp's grammar sampler: which
/// tokens it allows next, and advancing it by a token. Owned by one slot on the worker
/// thread. A token is accepted only after `allows` said yes (llama.cpp aborts otherwise).
final class Grammar {
    private let sampler: UnsafeMutablePointer<llama_sampler>
    private let vocabularySize: Int
    /// Reused candidate array for whole-vocabulary masks.
    private var scratch: [llama_token_data] = []

    /// Parses `text` (root rule `root`) for `model`'s vocabulary; nil when it does not parse.
    init?(_ text: String, model: LlamaModel) {
        guard let s = llama_sampler_init_grammar(model.vocab, text, "root") else { return nil }
        sampler = s
        vocabularySize = model.info.vocabularySize
    }

    deinit { llama_sampler_free(sampler) }

    /// Whether the grammar allows `token` next (an end-of-generation token only once the
    /// grammar is complete).
    func allows(_ token: Int32) -> Bool {
        var one = llama_token_data(id: token, logit: 0, p: 0)
        return withUnsafeMutablePointer(to: &one) { p -> Bool in
            var array = llama_token_data_array(data: p, size: 1, selected: -1, sorted: false)
            llama_sampler_apply(sampler, &array)
            return p.pointee.logit != -Float.infinity
        }
    }

    /// Whether each token of the vocabulary is allowed next.
    func allowedMask() -> [Bool] {
        if scratch.count != vocabularySize {
            scratch = (0..<vocabularySize).map { llama_token_data(id: Int32($0), logit: 0, p: 0) }
        } else {
            for i in scratch.indices { scratch[i].logit = 0 }
        }
        return scratch.withUnsafeMutableBufferPointer { buf -> [Bool] in
            var array = llama_token_data_array(data: buf.baseAddress, size: buf.count, selected: -1, sorted: false)
            llama_sampler_apply(sampler, &array)
            return buf.map { $0.logit != -Float.infinity }
        }
    }

    /// Advances the grammar by `token`, which `allows` accepted.
    func accept(_ token: Int32) { llama_sampler_accept(sampler, token) }

    /// Whether `text` parses as a grammar for `model` (without keeping it).
    static func parses(_ text: String, model: LlamaModel) -> Bool { Grammar(text, model: model) != nil }
}
