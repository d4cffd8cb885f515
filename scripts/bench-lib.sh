# Sourced by the bench scripts. start_trestle CONFIG DIR starts `$BIN serve` on CONFIG with data
# dir DIR, waits for the port it picked, and sets SERVER (its pid) and BASE (http://127.0.0.1:PORT).
# The server is stopped when the script exits.
start_trestle() {
  local config=$1 dir=$2
  rm -f "$dir/port"
  "$BIN" serve --config "$config" --data-dir "$dir" --port-file "$dir/port" --log-level warning > "$dir/server.log" 2>&1 &
  SERVER=$!
  trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT
  local deadline=$((SECONDS + 60))
  until [ -s "$dir/port" ]; do
    if [ $SECONDS -ge $deadline ] || ! kill -0 "$SERVER" 2>/dev/null; then
      echo "server did not start; its log:" >&2
      cat "$dir/server.log" >&2
      exit 1
    fi
    sleep 0.1
  done
  BASE="http://127.0.0.1:$(cat "$dir/port")"
}
