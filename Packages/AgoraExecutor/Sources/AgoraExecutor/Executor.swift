/// The local executor over llama.cpp.
public enum Executor {}
