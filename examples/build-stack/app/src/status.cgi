#!/bin/sh
# The app's API: what the store holds, fetched over the project network.
echo "Content-Type: text/plain"
echo
echo "app @VERSION@"
echo "store: $(wget -q -O - "$STORE_URL/message" 2>/dev/null || echo unreachable)"
