"""Reading a homework sheet: TOML in, a checked `Homework` out, errors naming the line."""
