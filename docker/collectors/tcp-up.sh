#!/bin/bash
# Availability probe: prints 100 when HOST:PORT accepts a TCP connection
# within the timeout, else 0. Usage: tcp-up.sh HOST PORT [TIMEOUT_S]
set -u
host="${1:?host}" port="${2:?port}" t="${3:-3}"
if timeout "$t" bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$host" "$port" 2>/dev/null; then
  echo 100
else
  echo 0
fi
