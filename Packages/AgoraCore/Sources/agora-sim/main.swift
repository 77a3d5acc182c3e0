import AgoraSim

// Market scenarios (market engineer's block; keep it first and separate):
// `agora-sim market …` and `agora-sim market-bench …` run and exit here.
Sim.runMarketCommandIfAsked()

print("agora-sim: not built yet")
