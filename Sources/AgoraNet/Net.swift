/// SwiftNIO shells: UDP gossip datagrams and authenticated, encrypted TCP sessions.
public enum Net {}
