/// The node: wires the pure cores to their shells, owns timers and persistence.
public enum Node {}
