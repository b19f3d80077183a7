"""What the API can do, as callables outside api/: each takes a workspace-bound Store (and the
time), applies the domain's rules and writes through the store, so the handlers, the seed, the
test factories and background work all do it the same way (docs/development.md)."""
