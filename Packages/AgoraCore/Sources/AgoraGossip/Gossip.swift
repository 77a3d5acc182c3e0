/// SWIM + Lifeguard membership as a pure instance that returns directives.
public enum Gossip {}
