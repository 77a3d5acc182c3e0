import Foundation

/// One model a node is configured to serve: its GGUF file and, optionally, its own slots,
/// context and price (the node-wide values otherwise).
public struct ModelEntry: Codable, Sendable, Equatable {
    /// At most this many models per node (a peer record advertises at most this many).
    public static let maxModels = 8

    /// The GGUF file; empty means the bootstrap's default model.
    public var path: String
    /// Parallel job slots of this model (nil: the node's `slots`).
    public var slots: Int?
    /// Context per slot of this model (nil: the node's `contextPerSlot`).
    public var contextPerSlot: Int?
    /// Asking price of this model, credits per 1,000 tokens (nil: the node's price).
    public var pricePer1kTokens: UInt64?

    /// An entry.
    public init(path: String, slots: Int? = nil, contextPerSlot: Int? = nil, pricePer1kTokens: UInt64? = nil) {
        self.path = path
        self.slots = slots
        self.contextPerSlot = contextPerSlot
        self.pricePer1kTokens = pricePer1kTokens
    }

    enum CodingKeys: String, CodingKey { case path, slots, contextPerSlot, pricePer1kTokens }

    /// Decodes an object, or a plain path string.
    public init(from decoder: Decoder) throws {
        if let path = try? decoder.singleValueContainer().decode(String.self) {
            self.init(path: path)
            return
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(path: try c.decodeIfPresent(String.self, forKey: .path) ?? "",
                  slots: try c.decodeIfPresent(Int.self, forKey: .slots),
                  contextPerSlot: try c.decodeIfPresent(Int.self, forKey: .contextPerSlot),
                  pricePer1kTokens: try c.decodeIfPresent(UInt64.self, forKey: .pricePer1kTokens))
    }

    /// Checks ranges; throws `configuration` naming the model and the bad field.
    public func validate() throws(NodeError) {
        if let slots, !(1...64).contains(slots) {
            throw NodeError(.configuration, "model \(path): slots \(slots) is out of range 1…64")
        }
        if let contextPerSlot, !(256...131_072).contains(contextPerSlot) {
            throw NodeError(.configuration, "model \(path): context per slot \(contextPerSlot) is out of range 256…131072 tokens")
        }
    }
}
