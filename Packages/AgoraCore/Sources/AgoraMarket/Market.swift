/// The job market (requester, provider, validator) as a pure instance that returns directives.
public enum Market {}
