#!/usr/bin/env bash
# Runs the two third-party SCIM suites the identity providers publish against a
# running SCIM server, exactly as ../shared/conformance/README.md describes:
#   - Okta's SCIM 2.0 SPEC test (Runscope JSON) through run_runscope.mjs;
#   - Microsoft's SCIMReferenceCode Postman collection through newman.
# Each suite needs its own workspace token: the Microsoft collection asserts
# exact totals and so needs an EMPTY workspace, while Okta's needs at least one
# user, which this script creates in the Okta workspace before running it.
#
# Usage:
#   .ci/scim-thirdparty.sh --base-url http://127.0.0.1:PORT/scim/v2 \
#       --okta-token TOKEN --entra-token TOKEN [--only okta|microsoft]
#
# Exit status: 0 when every suite that ran passed, 1 otherwise, 2 on usage or
# setup errors. newman is installed into .ci/tools (git-ignored) on first use.
set -euo pipefail

NEWMAN_VERSION=6.2.2

usage() {
	sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

base_url="" okta_token="" entra_token="" only=""
while [ $# -gt 0 ]; do
	case "$1" in
	--base-url) base_url="${2:-}"; shift 2 ;;
	--okta-token) okta_token="${2:-}"; shift 2 ;;
	--entra-token) entra_token="${2:-}"; shift 2 ;;
	--only) only="${2:-}"; shift 2 ;;
	-h | --help) usage ;;
	*) echo "scim-thirdparty: unknown argument $1" >&2; usage ;;
	esac
done
base_url="${base_url%/}"
[ -n "$base_url" ] || { echo "scim-thirdparty: --base-url is required" >&2; usage; }
case "$only" in
"" | okta | microsoft) ;;
*) echo "scim-thirdparty: --only must be okta or microsoft" >&2; exit 2 ;;
esac
if [ "$only" != microsoft ] && [ -z "$okta_token" ]; then
	echo "scim-thirdparty: --okta-token is required" >&2; exit 2
fi
if [ "$only" != okta ] && [ -z "$entra_token" ]; then
	echo "scim-thirdparty: --entra-token is required" >&2; exit 2
fi

# Split the base URL into the variables the Postman collection composes as
# {{Protocol}}://{{Server}}{{Port}}/{{Api}}/Users.
re='^(https?)://([^/:]+)(:[0-9]+)?/(.+)$'
if [[ ! "$base_url" =~ $re ]]; then
	echo "scim-thirdparty: --base-url must look like http://host:port/path (got $base_url)" >&2
	exit 2
fi
protocol="${BASH_REMATCH[1]}" server="${BASH_REMATCH[2]}" port="${BASH_REMATCH[3]}" api="${BASH_REMATCH[4]}"

repo="$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
suites="$repo/../shared/conformance"
tools="$repo/.ci/tools"
[ -d "$suites/okta" ] && [ -d "$suites/microsoft" ] || {
	echo "scim-thirdparty: suites not found in $suites" >&2; exit 2
}
command -v node >/dev/null || { echo "scim-thirdparty: node is required" >&2; exit 2; }

status=0
results=()

run_okta() {
	echo "== Okta SCIM 2.0 SPEC test against $base_url"
	# The SPEC test reads Resources[0] of GET /Users?count=1 and needs a user
	# with names, userName, active and an email: create one (unique name, so
	# reruns don't collide).
	local seed="okta-spec-seed-$(date +%s)-$RANDOM@example.com"
	local code
	code="$(curl -sS -o /dev/null -w '%{http_code}' -X POST "$base_url/Users" \
		-H "Authorization: Bearer $okta_token" -H 'Content-Type: application/scim+json' \
		--data "{\"schemas\":[\"urn:ietf:params:scim:schemas:core:2.0:User\"],\"userName\":\"$seed\",
			\"name\":{\"givenName\":\"Spec\",\"familyName\":\"Seed\"},
			\"emails\":[{\"primary\":true,\"type\":\"work\",\"value\":\"$seed\"}],\"active\":true}")" || code=000
	if [ "$code" != 201 ]; then
		echo "scim-thirdparty: creating the Okta seed user answered HTTP $code" >&2
	fi
	if node "$suites/okta/run_runscope.mjs" "$suites/okta/Okta-SCIM-20-SPEC-Test.json" \
		--base-url "$base_url" --auth "Bearer $okta_token" \
		--init "$suites/okta/Initial_Script_Spec.txt"; then
		results+=("okta: PASS")
	else
		results+=("okta: FAIL")
		status=1
	fi
}

install_newman() {
	local bin="$tools/node_modules/.bin/newman"
	if [ -x "$bin" ] && [ "$("$bin" --version 2>/dev/null)" = "$NEWMAN_VERSION" ]; then
		return
	fi
	echo "== installing newman@$NEWMAN_VERSION into $tools"
	mkdir -p "$tools"
	npm install --prefix "$tools" --no-audit --no-fund --loglevel=error "newman@$NEWMAN_VERSION" >&2
}

run_microsoft() {
	install_newman
	echo "== Microsoft SCIMReferenceCode Postman collection against $base_url"
	# The collection assumes an empty workspace; say so up front rather than
	# leave people to decode its exact-total assertions.
	local total
	total="$(curl -sS "$base_url/Users?count=1" -H "Authorization: Bearer $entra_token" |
		node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{console.log(JSON.parse(s).totalResults)}catch{console.log("?")}})')" || total="?"
	if [ "$total" != 0 ]; then
		echo "scim-thirdparty: warning: the Entra workspace has $total users; the collection expects it empty" >&2
	fi
	if "$tools/node_modules/.bin/newman" run "$suites/microsoft/PostmanCollection.json" \
		--env-var "Protocol=$protocol" --env-var "Server=$server" --env-var "Port=$port" \
		--env-var "Api=$api" --env-var "token=$entra_token" \
		--folder "Endpoint tests" --folder "User tests" --folder "Group tests" \
		--folder "ComplexAttribute tests" --folder "User tests with garbage" \
		--folder "Group tests with garbage" --folder "Teardown garbage" \
		--folder "Get all users" --folder "Get all groups" \
		--color off --disable-unicode; then
		results+=("microsoft: PASS")
	else
		results+=("microsoft: FAIL")
		status=1
	fi
}

[ "$only" = microsoft ] || run_okta
[ "$only" = okta ] || run_microsoft

echo "== third-party SCIM suites"
printf '%s\n' "${results[@]}"
exit "$status"
