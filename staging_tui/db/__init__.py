"""SQL session over psycopg (async): execute, stream rows, cancel, read-only guard,
meta commands. No textual."""
