#!/bin/sh
# Profiles Kluis (dist/) serving secret GETs: node --cpu-prof while autocannon sends GET /secrets/bench for
# DURATION seconds over 16 keep-alive connections, then prints the profile's summary (bench/profile-summary.mjs).
# PUT writes the secret instead; ES256 or RS256 signs a SHA-256 digest with a key of that kind (POST .../sign).
# Usage: sh bench/profile-get.sh OUT_DIR [DURATION] [GET|PUT|ES256|RS256]   (load the .cpuprofile into Chrome DevTools or speedscope)
set -eu
out=$(realpath -m "$1"); duration=${2:-10}; method=${3:-GET}
root=$(dirname "$0")/..
data=$(mktemp -d)
mkdir -p "$out"
node --cpu-prof --cpu-prof-dir "$out" "$root/dist/bundle/kluis.js" server start --data-dir "$data" --port 0 >/dev/null &
pid=$!
while [ ! -s "$data/server.json" ]; do sleep 0.1; done
sleep 0.2
port=$(node -p "JSON.parse(require('fs').readFileSync('$data/server.json','utf8')).port")
export NODE_EXTRA_CA_CERTS="$data/ca.pem"
token=$(node -e "
const a = JSON.parse(require('fs').readFileSync('$data/admin.json', 'utf8'));
fetch('https://localhost:$port/' + a.tenant + '/oauth2/v2.0/token', { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: a.appId, client_secret: a.password, scope: 'https://vault.azure.net/.default' }) })
  .then((r) => r.json()).then((j) => console.log(j.access_token));" )
curl -s --cacert "$data/ca.pem" -X PUT -H "authorization: Bearer $token" -H 'content-type: application/json' \
  -d '{"value":"ssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss"}' "https://localhost:$port/secrets/bench?api-version=7.5" >/dev/null
body=""; path=/secrets/bench; [ "$method" = PUT ] && body='{"value":"ssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss"}'
case "$method" in ES256|RS256)
  [ "$method" = ES256 ] && create='{"kty":"EC","crv":"P-256"}' || create='{"kty":"RSA","key_size":2048}'
  kid=$(curl -s --cacert "$data/ca.pem" -X POST -H "authorization: Bearer $token" -H 'content-type: application/json' \
    -d "$create" "https://localhost:$port/keys/sign/create?api-version=7.5" | node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).key.kid')
  path="/keys/sign/${kid##*/}/sign"; body="{\"alg\":\"$method\",\"value\":\"$(printf 'kluis bench' | openssl dgst -sha256 -binary | basenc --base64url | tr -d =)\"}"
  method=POST;;
esac
"$root/node_modules/.bin/autocannon" -c 16 -d "$duration" -m "$method" -H "authorization=Bearer $token" \
  ${body:+-H content-type=application/json -b "$body"} "https://localhost:$port$path?api-version=7.5" 2>&1 | tail -n 12
kill "$pid"; wait "$pid" || true
rm -rf "$data"
latest=$(ls -t "$out"/*.cpuprofile | head -n 1)
node "$root/bench/profile-summary.mjs" "$latest" --top 40
