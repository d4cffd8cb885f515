#!/usr/bin/env bash
# Sourced by `make run`: gives TRESTLE_TOKEN and TRESTLE_WEBHOOK_TOKEN a random value
# kept under .trestle/ when the environment has none, and says where to find them.
mkdir -p .trestle
for name in TRESTLE_TOKEN TRESTLE_WEBHOOK_TOKEN; do
  if [ -z "${!name:-}" ]; then
    file=".trestle/$(echo "$name" | tr 'A-Z_' 'a-z-')"
    if [ ! -s "$file" ]; then
      (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$file")
    fi
    export "$name=$(cat "$file")"
    echo "$name not set: using the one in $file"
  fi
done
echo "try: curl -H \"Authorization: Bearer \$(cat .trestle/trestle-token)\" 'http://127.0.0.1:8080/api/directory/workflowTask?commitId=1a2b3c4d'"

# The sample's repo: a small demo repository under .trestle/ unless TRESTLE_VOTING_APP_URL names
# a real remote, so that creating a task by branch works out of the box.
if [ -z "${TRESTLE_VOTING_APP_URL:-}" ]; then
  demo=".trestle/demo/voting-app"
  if [ ! -d "$demo/.git" ]; then
    git init -q -b main "$demo"
    mkdir -p "$demo/vote"
    for i in 1 2 3; do
      echo "vote $i" > "$demo/vote/app.txt"
      git -C "$demo" add -A
      git -C "$demo" -c user.name=trestle-demo -c user.email=demo@trestle.invalid commit -q -m "demo commit $i"
    done
  fi
  export TRESTLE_VOTING_APP_URL="file://$PWD/$demo"
  echo "TRESTLE_VOTING_APP_URL not set: the sample repo voting-app is the demo repository $demo"
fi
