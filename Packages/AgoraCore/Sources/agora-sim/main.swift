print("agora-sim: not built yet")
