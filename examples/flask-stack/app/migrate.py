"""The schema migration: a one-shot job run once the database is healthy.
Creates the table and its first rows; running it again changes nothing."""
import os
import sys

import psycopg2

conn = psycopg2.connect(host=os.environ["DB_HOST"], dbname=os.environ["POSTGRES_DB"],
                        user=os.environ["POSTGRES_USER"], password=os.environ["POSTGRES_PASSWORD"],
                        connect_timeout=10)
with conn, conn.cursor() as cur:
    cur.execute("CREATE TABLE IF NOT EXISTS items (id serial PRIMARY KEY, name text UNIQUE NOT NULL)")
    cur.execute("INSERT INTO items (name) VALUES ('apples'), ('bread'), ('cheese') ON CONFLICT DO NOTHING")
    cur.execute("SELECT count(*) FROM items")
    print(f"migration done: {cur.fetchone()[0]} items", flush=True)
conn.close()
sys.exit(0)
