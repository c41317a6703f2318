#!/usr/bin/env bash
# The README's tour to a signed-in member, on a fresh SQLite database with
# nothing else installed: roster serve --dev --dev-idp, a workspace, an
# invitation, the owner's link followed with curl (a cookie jar, no
# JavaScript) through the built-in development sign-in, onboarding,
# `roster members list` shows the owner active, and the tour ends in the
# console: with the same session, the workspace's address opens the Members
# page listing the owner, and an invitation sent there is listed too.
#
# Usage: .ci/tour-dev.sh PATH-TO-ROSTER-BINARY
# (.ci/run calls it after build_roster: tour_dev() { step "…"; .ci/tour-dev.sh "$BIN_DIR/roster"; })
set -euo pipefail

bin="$1"
dir="$(mktemp -d)"
pid=""
cleanup() {
	if [ -n "$pid" ]; then
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" || true
	fi
	rm -rf "$dir"
}
trap cleanup EXIT

export ROSTER_DATABASE_URL="sqlite:$dir/tour.db"
# An earlier CI step exports ROSTER_BASE_URL for its own server; a stale
# one would send the sign-in to a server that is gone.
unset ROSTER_BASE_URL ROSTER_ADDR ROSTER_SECRET_KEY ROSTER_OIDC_PROVIDERS ROSTER_OIDC_PROVIDERS_FILE
"$bin" serve --dev --dev-idp --addr 127.0.0.1:0 >"$dir/serve.log" 2>&1 &
pid=$!
base=""
for _ in $(seq 1 150); do
	addr="$(sed -n 's/.*msg="roster listening" addr=\([^ ]*\).*/\1/p' "$dir/serve.log")"
	if [ -n "$addr" ] && curl -fsS "http://$addr/readyz" >/dev/null 2>&1; then
		base="http://$addr"
		break
	fi
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.2
done
if [ -z "$base" ]; then
	echo "roster serve --dev --dev-idp did not become ready; its log:" >&2
	cat "$dir/serve.log" >&2
	exit 1
fi
export ROSTER_BASE_URL="$base"

link="$("$bin" workspace create --name "Dev Tour" --owner ada@tour.example | awk '$1 == "Invitation:" { print $2 }')"
case "$link" in
"$base"/invite/*) ;;
*) echo "workspace create printed no invitation link (got '$link')" >&2; exit 1 ;;
esac
"$bin" invite --workspace dev-tour --role member bob@tour.example

jar="$dir/cookies"
# get URL: GET with the cookie jar, following redirects, into $dir/page.
get() { curl -fsS -c "$jar" -b "$jar" -L -o "$dir/page" -w '%{url_effective}' "$1"; }
# post URL FIELDS…: POST a form (its CSRF token from the last page), following redirects.
post() {
	local url="$1"; shift
	local csrf
	csrf="$(grep -o 'name="csrf" value="[^"]*"' "$dir/page" | head -n 1 | sed 's/.*value="//; s/"$//')"
	curl -fsS -c "$jar" -b "$jar" -L -o "$dir/page" -w '%{url_effective}' --data-urlencode "csrf=$csrf" "$@" "$url"
}
field() { grep -o "name=\"$1\" value=\"[^\"]*\"" "$dir/page" | head -n 1 | sed 's/.*value="//; s/"$//'; }
expect() {
	if ! grep -qF "$1" "$dir/page"; then
		echo "page lacks '$1':" >&2
		cat "$dir/page" >&2
		exit 1
	fi
}

get "$link" >/dev/null
expect "Development sign-in is on — not for production"
post "$link" >/dev/null
expect "Continue with Development sign-in"
at="$(post "$link" -d provider=dev -d email=ada@tour.example)"
case "$at" in
"$base"/dev/idp/login\?*) ;;
*) echo "not sent to the development sign-in (at $at)" >&2; exit 1 ;;
esac
expect "Development sign-in — not for production"
id="$(field authRequestID)"
at="$(post "$base/dev/idp/login" -d "authRequestID=$id" -d email=ada@tour.example -d "name=Ada Lovelace")"
case "$at" in
"$base"/onboarding\?workspace=dev-tour) ;;
*) echo "the sign-in did not reach onboarding (at $at)" >&2; cat "$dir/page" >&2; exit 1 ;;
esac
post "$base/onboarding" -d workspace=dev-tour -d "terms_version=$(field terms_version)" -d "name=Ada Lovelace" -d locale=en -d accept_terms=yes >/dev/null
expect "Ada Lovelace"

"$bin" members list --workspace dev-tour | tee "$dir/members"
if ! grep -Eq '^ada@tour\.example +Ada Lovelace +owner.* active ' "$dir/members"; then
	echo "the owner is not an active member after signing in" >&2
	exit 1
fi

# The console, with the signed-in session: the workspace's address leads
# an owner to its Members page.
at="$(get "$base/workspaces/dev-tour/")"
case "$at" in
"$base"/workspaces/dev-tour/members) ;;
*) echo "the workspace's address did not open the Members page (at $at)" >&2; cat "$dir/page" >&2; exit 1 ;;
esac
expect "<h1>Members</h1>"
expect "Ada Lovelace"
expect "ada@tour.example"
expect "bob@tour.example"
# Invite someone there, as the README's tour does.
get "$base/workspaces/dev-tour/members/invite" >/dev/null
expect "Invite people"
post "$base/workspaces/dev-tour/members/invite" --data-urlencode "addresses=carol@tour.example, dan@tour.example" -d role=member -d send_email=yes -d step=send >/dev/null
expect "What happened to each address"
if [ "$(grep -c 'class="badge outcome-invited">Invited<' "$dir/page")" -ne 2 ]; then
	echo "the console did not say both were invited:" >&2
	cat "$dir/page" >&2
	exit 1
fi
"$bin" members list --workspace dev-tour | tee "$dir/members"
if ! grep -Eq '^carol@tour\.example .* invited ' "$dir/members"; then
	echo "the person invited in the console is not listed as invited" >&2
	exit 1
fi
echo "tour: ada@tour.example signed in through the development sign-in, is an active owner, and invited two people in the console"
