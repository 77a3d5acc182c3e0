print("agora-ledger-bench: not built yet")
