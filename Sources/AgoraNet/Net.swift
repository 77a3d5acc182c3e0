/// SwiftNIO shells: UDP gossip datagrams (`DatagramTransport`) and mutually authenticated,
/// encrypted TCP sessions (`SessionServer`, `SessionClient`, `Session`). See Protocol.md §6.
public enum Net {}
