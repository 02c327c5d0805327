"""The web application: a page built from PostgreSQL rows (written by the
migration) and a Redis visit counter."""
import os
import signal
import sys

import psycopg2
import redis
from flask import Flask

app = Flask(__name__)
cache = redis.Redis(host=os.environ["REDIS_HOST"], port=6379, socket_timeout=5)


def db():
    return psycopg2.connect(host=os.environ["DB_HOST"], dbname=os.environ["POSTGRES_DB"],
                            user=os.environ["POSTGRES_USER"],
                            password=os.environ["POSTGRES_PASSWORD"], connect_timeout=5)


@app.route("/")
def index():
    visits = cache.incr("visits")
    conn = db()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT name FROM items ORDER BY id")
            items = [r[0] for r in cur.fetchall()]
    finally:
        conn.close()
    return f"Hello from Flask! visits: {visits}; items: {', '.join(items)}\n"


@app.route("/health")
def health():
    return "ok\n"


if __name__ == "__main__":
    # the app is the container's PID 1: without a handler it would ignore
    # the SIGTERM of `stop` and be killed after the grace period
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app.run(host="0.0.0.0", port=5000)
