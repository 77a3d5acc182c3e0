print("agora-executor-bench: not built yet")
