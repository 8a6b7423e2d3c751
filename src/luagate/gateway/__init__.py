"""The core every surface goes through: resolve, validate, apply policy, call, audit."""
