/// The most recent jobs this node took part in (bounded), newest first.
struct JobJournal: Sendable {
    private(set) var records: [JobRecord] = []
    let limit = 500

    mutating func record(_ r: JobRecord) {
        records.insert(r, at: 0)
        if records.count > limit { records.removeLast(records.count - limit) }
    }

    mutating func update(_ jobID: String, role: String, _ change: (inout JobRecord) -> Void) {
        guard let i = records.firstIndex(where: { $0.jobID == jobID && $0.role == role }) else { return }
        change(&records[i])
    }
}
