/// The HTTP API (OpenAI-compatible, node API, metrics, dashboard).
public enum API {}
