/// A running generation job: cancel it, or await its result.
public struct GenerationHandle: Sendable {
    private let job: Job
    private let box: OneShot<Result<GenerationResult, ExecutorError>>

    init(job: Job, box: OneShot<Result<GenerationResult, ExecutorError>>) {
        self.job = job
        self.box = box
    }

    /// Stops the job at its next step: at most one more token is generated.
    public func cancel() { job.cancel() }

    /// The job's result; a job cancelled while running returns what it generated, with
    /// reason `.cancelled`; one cancelled while still queued throws `cancelled`.
    public func result() async throws(ExecutorError) -> GenerationResult {
        guard let r = await box.value() else {
            throw ExecutorError(.engineClosed, "the result of this job was already taken or the engine stopped")
        }
        return try r.get()
    }
}
