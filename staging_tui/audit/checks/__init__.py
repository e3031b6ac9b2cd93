"""The doctor's checks, one module per area; each is a pure function over domain objects
returning the problems it found as `Finding`s (nothing when all is well)."""
