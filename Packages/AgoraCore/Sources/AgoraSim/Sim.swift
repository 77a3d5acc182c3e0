/// A deterministic discrete-event simulator for the pure cores.
public enum Sim {}
