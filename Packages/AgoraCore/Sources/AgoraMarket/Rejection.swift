import AgoraCrypto

extension Market {
    /// Why the instance refused an input. A rejection never changes protocol state and
    /// never pays anything; the instance counts it (`Instance.stats`) and reports it in a
    /// `.rejected` directive.
    public struct Rejection: Error, Equatable, Sendable, CustomStringConvertible {
        /// The reason, one per kind of bad input.
        public enum Reason: String, Sendable, CaseIterable, Comparable {
            /// Bytes that do not decode (wire error) or a message of the wrong type.
            case malformed
            /// A signature that does not verify under the key the message names.
            case badSignature
            /// A message about a job this node does not know.
            case unknownJob
            /// A bid, award or request past its expiry or deadline.
            case expired
            /// A message naming another node as its recipient or author than the one expected.
            case wrongParty
            /// An award, cancel or verify request not signed by the job's requester.
            case notRequester
            /// A message already accepted once (award, result, attestation).
            case replay
            /// A result from a provider that does not hold the job's current award.
            case notCurrentWinner
            /// A message for a job that is already completed, cancelled or failed.
            case jobClosed
            /// An inclusion proof or checkpoint the ledger verifier rejects.
            case badProof
            /// A hash or commitment that does not match what it must (entry body, record
            /// fields, award hash, prompt or output commitment, token hash).
            case hashMismatch
            /// A sealed payload that does not open with this node's key or from its sender.
            case undecryptable
            /// A field outside its allowed values (price above the maximum, a model not
            /// served, a deadline in the past, an unknown verification level).
            case invalidField
            /// A message from a node with equivocation evidence against it.
            case excludedPeer
            /// More requests of a kind from one peer than this node serves it (`Limits`).
            case rateLimited
            /// A result from a provider that no longer advertises the arithmetic class it was
            /// awarded under, for a job that demands an exact check (`CheckPolicy.exactRequired`).
            case classChanged

            public static func < (a: Reason, b: Reason) -> Bool { a.rawValue < b.rawValue }
        }

        /// The reason.
        public let reason: Reason
        /// What exactly was wrong.
        public let context: String

        /// Creates a rejection.
        public init(_ reason: Reason, _ context: String) {
            self.reason = reason
            self.context = context
        }

        public var description: String { "\(reason.rawValue): \(context)" }
    }
}
