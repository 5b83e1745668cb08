"""The database edge: the only package that imports psycopg; migrations, writes and reads."""
