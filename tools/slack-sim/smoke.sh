#!/usr/bin/env bash
# smoke.sh - drives a real slack-sim over a socket with curl and checks it
# answers as Slack does. Usage: smoke.sh path/to/slack-sim
# Needs curl (>= 7.84 for %header{}) and jq. Exits non-zero on the first
# failed check; with a sanitizer build, also fails on any report.
set -euo pipefail

BIN=${1:?usage: smoke.sh path/to/slack-sim}
TOKEN=xoxb-smoke-token
WORK=$(mktemp -d)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok - $*"; }

# start NAME [VAR=value...]: starts a sim on port 0, sets $URL and $PID
start() {
        local name=$1
        shift
        env "$@" SLACK_SIM_LISTEN_ADDR=127.0.0.1:0 SLACK_SIM_TOKEN=$TOKEN \
                "$BIN" >"$WORK/$name.out" 2>"$WORK/$name.err" &
        PID=$!
        PIDS+=("$PID")
        for _ in $(seq 50); do
                [ -s "$WORK/$name.out" ] && break
                sleep 0.1
        done
        local line
        line=$(head -1 "$WORK/$name.out")
        [[ $line =~ ^listening\ on\ 127\.0\.0\.1:([0-9]+)$ ]] ||
                fail "$name: first stdout line is '$line'"
        URL=http://127.0.0.1:${BASH_REMATCH[1]}
}

# stop NAME: SIGTERM, expect exit 0 and no sanitizer report
stop() {
        local name=$1 rc=0
        kill -TERM "$PID"
        wait "$PID" || rc=$?
        [ "$rc" = 0 ] || fail "$name: exit status $rc after SIGTERM"
        if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' \
                "$WORK/$name.err"; then
                cat "$WORK/$name.err" >&2
                fail "$name: sanitizer report"
        fi
        ok "$name: clean exit on SIGTERM"
}

# api METHOD JSON [curl args...]: POST JSON with the token; sets $CODE, $BODY
api() {
        local method=$1 json=$2
        shift 2
        BODY=$(curl -sS -o - -w '\n%{http_code} %header{retry-after}' \
                -H "Authorization: Bearer $TOKEN" \
                -H 'Content-Type: application/json; charset=utf-8' \
                --data-binary "$json" "$@" "$URL/api/$method")
        local tail=${BODY##*$'\n'}
        BODY=${BODY%$'\n'*}
        CODE=${tail%% *}
        RETRY_AFTER=${tail#* }
}

expect_error() { # expect_error CODE ERROR what
        [ "$CODE" = "$1" ] && [ "$(jq -r .error <<<"$BODY")" = "$2" ] &&
                [ "$(jq -r .ok <<<"$BODY")" = false ] ||
                fail "$3: got HTTP $CODE $BODY, want $1 $2"
        ok "$3 -> HTTP $1 $2"
}

expect_ok() { # expect_ok what
        [ "$CODE" = 200 ] && [ "$(jq -r .ok <<<"$BODY")" = true ] ||
                fail "$1: got HTTP $CODE $BODY, want 200 ok"
}

repeat() { # repeat CHAR N (CHAR may be several bytes)
        head -c "$2" /dev/zero | tr '\0' x | sed "s/x/$1/g"
}

# --- defaults: any well-formed channel, 1/s, burst 3 -------------------------
start main SLACK_SIM_RATE=1 SLACK_SIM_BURST=3 SLACK_SIM_ADMIN_TOKEN=xoxp-smoke-admin

api chat.postMessage '{"channel":"C0ALERTS","text":"hello","blocks":[{"type":"section","text":{"type":"mrkdwn","text":"*DLP* finding"}}]}'
[ "$CODE" = 200 ] && [ "$(jq -r .ok <<<"$BODY")" = true ] ||
        fail "good post: $CODE $BODY"
TS=$(jq -r .ts <<<"$BODY")
[[ $TS =~ ^[0-9]{10}\.[0-9]{6}$ ]] || fail "ts '$TS'"
[ "$(jq -r .message.ts <<<"$BODY")" = "$TS" ] &&
        [ "$(jq -r .message.bot_id <<<"$BODY")" = B0SIM ] &&
        [ "$(jq -r .channel <<<"$BODY")" = C0ALERTS ] ||
        fail "good post answer: $BODY"
ok "good post -> ok, ts $TS"

# burst: 3 pass, then 429 + Retry-After; after waiting, posts pass again.
# One curl sends the five in order on one connection: five processes (curl
# and jq each) could take over a second on a loaded machine, and a token
# would refill in between.
burst=()
for i in 1 2 3 4 5; do
        [ "$i" = 1 ] || burst+=(--next)
        burst+=(-sS -o "$WORK/burst$i" -w '%{http_code} %header{retry-after}\n'
                -H "Authorization: Bearer $TOKEN"
                -H 'Content-Type: application/json; charset=utf-8'
                --data-binary "{\"channel\":\"C0BURST\",\"text\":\"m$i\"}"
                "$URL/api/chat.postMessage")
done
codes=() i=0
while read -r CODE RETRY_AFTER; do
        i=$((i + 1))
        codes+=("$CODE")
        if [ "$CODE" = 429 ]; then
                BODY=$(cat "$WORK/burst$i")
                [ "$(jq -r .error <<<"$BODY")" = ratelimited ] &&
                        [[ $RETRY_AFTER =~ ^[1-9][0-9]*$ ]] ||
                        fail "429 without ratelimited/Retry-After: '$RETRY_AFTER' $BODY"
                WAIT=$RETRY_AFTER
        fi
done < <(curl "${burst[@]}")
[ "${codes[*]}" = "200 200 200 429 429" ] || fail "burst codes: ${codes[*]}"
ok "5 posts in a burst -> ${codes[*]}, Retry-After: $WAIT"
sleep "$WAIT"
api chat.postMessage '{"channel":"C0BURST","text":"after waiting"}'
expect_ok "post after Retry-After"
api chat.postMessage '{"channel":"C0OTHER","text":"other channel"}'
expect_ok "another channel has its own bucket"
ok "after Retry-After ($WAIT s) -> 200; other channel unaffected"

# auth
BODY=$(curl -sS -w '\n%{http_code}' -H 'Content-Type: application/json' \
        -d '{"channel":"C0ALERTS","text":"x"}' "$URL/api/chat.postMessage")
CODE=${BODY##*$'\n'} BODY=${BODY%$'\n'*}
expect_error 200 not_authed "no Authorization"
BODY=$(curl -sS -w '\n%{http_code}' -H 'Authorization: Bearer xoxb-wrong' \
        -H 'Content-Type: application/json' \
        -d '{"channel":"C0ALERTS","text":"x"}' "$URL/api/chat.postMessage")
CODE=${BODY##*$'\n'} BODY=${BODY%$'\n'*}
expect_error 200 invalid_auth "wrong token"
BODY=$(curl -sS -w '\n%{http_code}' -H "Authorization: Basic $TOKEN" \
        -d 'channel=C0ALERTS&text=x' "$URL/api/chat.postMessage")
CODE=${BODY##*$'\n'} BODY=${BODY%$'\n'*}
expect_error 200 invalid_auth "not a Bearer token"

# arguments
api chat.postMessage '{"channel":"general","text":"x"}'
expect_error 200 channel_not_found "channel 'general'"
api chat.postMessage '{"text":"x"}'
expect_error 200 channel_not_found "no channel"
api chat.postMessage '{"channel":"C0ALERTS"}'
expect_error 200 no_text "neither text nor blocks"
api chat.postMessage '{"channel":"C0ALERTS","text":"","blocks":[]}'
expect_error 200 no_text "empty text and blocks"
api chat.postMessage '{"channel":"C0ALERTS","text":'
expect_error 200 invalid_json "truncated JSON"
api chat.postMessage "{\"channel\":\"C0LONG\",\"text\":\"$(repeat x 40001)\"}"
expect_error 200 msg_too_long "text of 40001 characters"
api chat.postMessage "{\"channel\":\"C0LONG\",\"text\":\"$(repeat é 40000)\"}"
expect_ok "40000 two-byte characters"
ok "text of 40000 characters (80000 bytes) -> ok"

section() { printf '{"type":"section","text":{"type":"mrkdwn","text":"%s"}}' "$1"; }
blocks_of() { # blocks_of N: N small sections
        local out="" i
        for i in $(seq "$1"); do out+="${out:+,}$(section "b$i")"; done
        echo "[$out]"
}
api chat.postMessage "{\"channel\":\"C0BLK\",\"blocks\":$(blocks_of 51)}"
expect_error 200 invalid_blocks "51 blocks"
api chat.postMessage "{\"channel\":\"C0BLK\",\"blocks\":[$(section "$(repeat a 3001)")]}"
expect_error 200 invalid_blocks "section text of 3001 characters"
api chat.postMessage '{"channel":"C0BLK","blocks":[{"type":"header","text":{"type":"plain_text","text":"'"$(repeat h 151)"'"}}]}'
expect_error 200 invalid_blocks "header text of 151 characters"
api chat.postMessage '{"channel":"C0BLK","blocks":{"type":"divider"}}'
expect_error 200 invalid_blocks_format "blocks not an array"
api chat.postMessage "{\"channel\":\"C0BLK\",\"blocks\":$(blocks_of 50)}"
expect_ok "50 blocks"
api chat.postMessage "{\"channel\":\"C0BLK\",\"text\":\"t\",\"blocks\":[$(section "$(repeat a 3000)")]}"
expect_ok "section of 3000"
ok "50 blocks, section text of 3000 characters -> ok"

# form-encoded, token in the body, blocks as JSON text
BODY=$(curl -sS -w '\n%{http_code}' --data-urlencode "token=$TOKEN" \
        --data-urlencode channel=C0FORM --data-urlencode 'text=a+b & c' \
        --data-urlencode 'blocks=[{"type":"divider"}]' \
        "$URL/api/chat.postMessage")
CODE=${BODY##*$'\n'} BODY=${BODY%$'\n'*}
[ "$CODE" = 200 ] && [ "$(jq -r .message.text <<<"$BODY")" = 'a+b & c' ] ||
        fail "form post: $CODE $BODY"
ok "form-encoded post with token in the body -> ok"

# getPermalink, conversations.open
# a read method: query or form parameters; a JSON body is not read
BODY=$(curl -sS -H "Authorization: Bearer $TOKEN" \
        "$URL/api/chat.getPermalink?channel=C0ALERTS&message_ts=$TS")
[ "$(jq -r .permalink <<<"$BODY")" = "https://sim.slack.example/archives/C0ALERTS/p${TS/./}" ] ||
        fail "permalink: $BODY"
ok "chat.getPermalink (query) -> $(jq -r .permalink <<<"$BODY")"
BODY=$(curl -sS -H "Authorization: Bearer $TOKEN" --data "channel=C0ALERTS&message_ts=$TS" \
        "$URL/api/chat.getPermalink")
[ "$(jq -r .ok <<<"$BODY")" = true ] || fail "permalink (form): $BODY"
ok "chat.getPermalink (form) -> ok"
api chat.getPermalink "{\"channel\":\"C0ALERTS\",\"message_ts\":\"$TS\"}"
expect_error 200 channel_not_found "chat.getPermalink with a JSON body (not read, as on Slack)"
BODY=$(curl -sS -H "Authorization: Bearer $TOKEN" \
        "$URL/api/chat.getPermalink?channel=C0ALERTS&message_ts=1.000001")
CODE=200
expect_error 200 message_not_found "permalink of an unknown ts"
api conversations.open '{"users":"U012ABCDEF"}'
[ "$(jq -r .channel.id <<<"$BODY")" = D012ABCDEF ] ||
        fail "conversations.open: $BODY"
ok "conversations.open U012ABCDEF -> D012ABCDEF"
api conversations.open '{"users":"nobody"}'
expect_error 200 user_not_found "conversations.open of 'nobody'"
api chat.unknownMethod '{}'
expect_error 404 unknown_method "unknown method"

# ephemeral messages, what each user saw, deletes
api chat.postEphemeral '{"channel":"C0GENERAL","user":"U0ALICE","text":"only for alice"}'
expect_ok "chat.postEphemeral"
[[ $(jq -r .message_ts <<<"$BODY") =~ ^[0-9]+\.[0-9]{6}$ ]] || fail "ephemeral answer: $BODY"
api chat.postEphemeral '{"channel":"C0GENERAL","text":"to nobody"}'
expect_error 200 user_not_found "chat.postEphemeral without a user"
api conversations.open '{"users":"U0ALICE"}'
api chat.postMessage '{"channel":"D0ALICE","text":"a DM for alice"}'
expect_ok "DM to alice"
SAW=$(curl -sS "$URL/_sim/messages?user=U0ALICE")
[ "$(jq -r '[.messages[].body.text]|join(",")' <<<"$SAW")" = "only for alice,a DM for alice" ] &&
        [ "$(jq -r '.messages[0].ephemeral_to' <<<"$SAW")" = U0ALICE ] ||
        fail "/_sim/messages?user=U0ALICE: $SAW"
[ "$(curl -sS "$URL/_sim/messages?user=U0BOB" | jq .count)" = 0 ] || fail "bob saw something"
ok "/_sim/messages?user=U0ALICE -> her ephemeral and her DM; U0BOB -> nothing"
UTS=$(curl -sS -d '{"channel":"C0GENERAL","user":"U0ALICE","text":"my card 4111 1111 1111 1111"}' \
        "$URL/_sim/messages" | jq -r .ts)
[[ $UTS =~ ^[0-9]+\.[0-9]{6}$ ]] || fail "seeding a user message: $UTS"
api chat.delete "{\"channel\":\"C0GENERAL\",\"ts\":\"$UTS\"}"
expect_error 200 cant_delete_message "bot token deletes a user's message"
TOKEN=xoxp-smoke-admin api chat.delete "{\"channel\":\"C0GENERAL\",\"ts\":\"$UTS\"}"
expect_ok "admin token deletes a user's message"
[ "$(jq -r .ts <<<"$BODY")" = "$UTS" ] || fail "chat.delete answer: $BODY"
TOKEN=xoxp-smoke-admin api chat.delete "{\"channel\":\"C0GENERAL\",\"ts\":\"$UTS\"}"
expect_error 200 message_not_found "deleting it again"
api chat.delete '{"channel":"C0ALERTS","ts":"1.000001"}'
expect_error 200 message_not_found "chat.delete of an unknown ts"
api chat.delete "{\"channel\":\"C0ALERTS\",\"ts\":\"$TS\"}"
expect_ok "bot token deletes its own message"
DEL=$(curl -sS "$URL/_sim/messages?channel=C0GENERAL" | jq -c "[.messages[]|select(.ts==\"$UTS\")][0]")
[ "$(jq -r '.deleted_by' <<<"$DEL")" = U0ADMIN ] && [ "$(jq -r .user <<<"$DEL")" = U0ALICE ] &&
        [[ $(jq -r .deleted_at <<<"$DEL") =~ Z$ ]] || fail "deleted message: $DEL"
ok "/_sim/messages shows who deleted what: $(jq -c '{user,deleted_by}' <<<"$DEL")"
curl -sS -d '{"id":"F0SECRET","user":"U0ALICE"}' "$URL/_sim/files" >/dev/null
api files.delete '{"file":"F0SECRET"}'
expect_error 200 cant_delete_file "bot token deletes a user's file"
TOKEN=xoxp-smoke-admin api files.delete '{"file":"F0SECRET"}'
expect_ok "admin deletes the file"
TOKEN=xoxp-smoke-admin api files.delete '{"file":"F0NONE"}'
expect_error 200 file_not_found "files.delete of an unknown file"
[ "$(curl -sS "$URL/_sim/files" | jq -r '.files[0].deleted_by')" = U0ADMIN ] || fail "/_sim/files"
ok "files.delete: owner rules, /_sim/files"

# what was posted
MSGS=$(curl -sS "$URL/_sim/messages?channel=C0BURST")
[ "$(jq .count <<<"$MSGS")" = 4 ] &&
        [ "$(jq -r '[.messages[].body.text]|join(",")' <<<"$MSGS")" = "m1,m2,m3,after waiting" ] ||
        fail "/_sim/messages?channel=C0BURST: $MSGS"
ok "/_sim/messages?channel=C0BURST -> m1,m2,m3,after waiting"
FIRST=$(curl -sS "$URL/_sim/messages" | jq -c '.messages[0]')
[ "$(jq -c .body <<<"$FIRST")" = '{"channel":"C0ALERTS","text":"hello","blocks":[{"type":"section","text":{"type":"mrkdwn","text":"*DLP* finding"}}]}' ] &&
        [ "$(jq -r .ts <<<"$FIRST")" = "$TS" ] ||
        fail "first message: $FIRST"
ok "/_sim/messages keeps the posted JSON object: $FIRST"
[ "$(curl -sS "$URL/_sim/messages?since=5" | jq '[.messages[].index]|min')" = 5 ] ||
        fail "since=5"
[ "$(curl -sS "$URL/_sim/messages?channel=C0FORM" | jq -cS '.messages[0].body')" = '{"blocks":[{"type":"divider"}],"channel":"C0FORM","text":"a+b & c"}' ] ||
        fail "form body as JSON: $(curl -sS "$URL/_sim/messages?channel=C0FORM")"
ok "since= filter; a form post is recorded as a JSON object"

STATS=$(curl -sS "$URL/_sim/stats")
jq -e '.posted == 13 and .rate_limited == 2 and .auth_failures == 3
        and .errors_by_type.invalid_blocks == 3 and .errors_by_type.ratelimited == 2
        and .injected_faults == 0 and .max_per_channel_in_any_1s_window == 3
        and .channels.C0BURST.posted == 4' <<<"$STATS" >/dev/null ||
        fail "stats: $STATS"
ok "/_sim/stats: $(jq -c '{posted,rate_limited,auth_failures,max_per_channel_in_any_1s_window,errors_by_type}' <<<"$STATS")"

curl -sS -X POST "$URL/_sim/reset" >/dev/null
[ "$(curl -sS "$URL/_sim/messages" | jq .count)" = 0 ] &&
        [ "$(curl -sS "$URL/_sim/stats" | jq .posted)" = 0 ] || fail "reset"
[ "$(curl -sS "$URL/healthz")" = ok ] || fail healthz
ok "/_sim/reset empties the log and the counters; /healthz"

# concurrency: 8 clients post 50 messages each to 4 channels, no limit
stop main
start conc SLACK_SIM_RATE=0 SLACK_SIM_THREADS=4
CLIENTS=()
for c in $(seq 8); do
        for i in $(seq 50); do
                curl -sS -o /dev/null -w '%{http_code}\n' \
                        -H "Authorization: Bearer $TOKEN" \
                        -H 'Content-Type: application/json' \
                        -d "{\"channel\":\"C0CONC$((i % 4))\",\"text\":\"$c.$i\"}" \
                        "$URL/api/chat.postMessage"
        done >"$WORK/codes.$c" &
        CLIENTS+=($!)
done
wait "${CLIENTS[@]}"
[ "$(cat "$WORK"/codes.* | sort -u)" = 200 ] ||
        fail "concurrent codes: $(cat "$WORK"/codes.* | sort | uniq -c)"
MSGS=$(curl -sS "$URL/_sim/messages")
[ "$(jq .count <<<"$MSGS")" = 400 ] &&
        [ "$(jq '[.messages[].ts]|unique|length' <<<"$MSGS")" = 400 ] &&
        [ "$(jq '[.messages[].ts|tonumber] as $t | [range(1;$t|length) | select($t[.] <= $t[.-1])] | length' <<<"$MSGS")" = 0 ] ||
        fail "concurrent posts: $(jq -c '{count}' <<<"$MSGS")"
ok "400 concurrent posts (8 clients, 4 channels) -> 400 stored, ts unique and increasing"
stop conc

# a fixed channel list; DMs opened exist too
start list SLACK_SIM_CHANNELS=C0ALERTS,C0SECOPS SLACK_SIM_RATE=0
api chat.postMessage '{"channel":"C0SECOPS","text":"x"}'
expect_ok "listed channel"
api chat.postMessage '{"channel":"C0NOTLISTED","text":"x"}'
expect_error 200 channel_not_found "SLACK_SIM_CHANNELS: unlisted channel"
api conversations.open '{"users":"U0BOB"}'
api chat.postMessage '{"channel":"D0BOB","text":"x"}'
expect_ok "opened DM"
ok "SLACK_SIM_CHANNELS: listed and opened channels exist, others do not"
stop list

# Tier 3: chat.delete has a per-method bucket (burst 2 here), 429 + Retry-After
start tier SLACK_SIM_RATE=0 SLACK_SIM_TIER3_PER_MIN=60 SLACK_SIM_TIER3_BURST=2
codes=()
for i in 1 2 3; do
        api chat.delete '{"channel":"C0T","ts":"1.000001"}'
        codes+=("$CODE")
done
[ "${codes[*]}" = "200 200 429" ] && [ "$RETRY_AFTER" = 1 ] || fail "tier3 codes: ${codes[*]} ($RETRY_AFTER)"
[ "$(curl -sS "$URL/_sim/stats" | jq '.tier3["chat.delete"].rate_limited')" = 1 ] || fail "tier3 stats"
ok "chat.delete at Tier 3 -> ${codes[*]}, Retry-After: $RETRY_AFTER; other methods unaffected"
api chat.postMessage '{"channel":"C0T","text":"x"}'
expect_ok "a post while chat.delete is limited"
stop tier

# files: files.info (a read: query or form), downloads with the bot token,
# the login page for a token without files:read, 404 once deleted
start files SLACK_SIM_NOFILES_TOKEN=xoxb-smoke-nofiles SLACK_SIM_TIER4_PER_MIN=1
printf 'name,card\nalice,4111 1111 1111 1111\n' >"$WORK/cards.csv"
jq -n --rawfile c "$WORK/cards.csv" \
        '{id:"F0CSV",user:"U0ALICE",name:"cards.csv",mimetype:"text/csv",filetype:"csv",content:$c}' |
        curl -sS -f --data-binary @- "$URL/_sim/files" >/dev/null || fail "seed F0CSV"
PDF_B64=$(printf '%%PDF-1.4\n\x00\xff binary' | base64 -w0)
curl -sS -f -d "{\"id\":\"F0PDF\",\"user\":\"U0ALICE\",\"name\":\"c.pdf\",\"mimetype\":\"application/pdf\",\"filetype\":\"pdf\",\"content_base64\":\"$PDF_B64\"}" \
        "$URL/_sim/files" >/dev/null || fail "seed F0PDF"
curl -sS -f -d '{"id":"F0GDOC","user":"U0ALICE","name":"plan","external":true}' \
        "$URL/_sim/files" >/dev/null || fail "seed F0GDOC"
[ "$(curl -sS -o /dev/null -w '%{http_code}' -d '{"id":"F0BAD","user":"U0ALICE","content_base64":"@@"}' "$URL/_sim/files")" = 400 ] ||
        fail "bad base64 seeded"
BODY=$(curl -sS -H "Authorization: Bearer $TOKEN" "$URL/api/files.info?file=F0CSV")
[ "$(jq -r '[.ok,.file.name,.file.mimetype,.file.size,.file.is_external]|join(",")' <<<"$BODY")" = "true,cards.csv,text/csv,$(stat -c %s "$WORK/cards.csv"),false" ] ||
        fail "files.info F0CSV: $BODY"
DL=$(jq -r .file.url_private_download <<<"$BODY")
[[ $DL == "$URL/files-pri/T0SIM-F0CSV/download/cards.csv" ]] || fail "url_private_download $DL"
ok "files.info (query) -> name, mimetype, size, url_private_download"
BODY=$(curl -sS -d "token=$TOKEN&file=F0CSV" "$URL/api/files.info")
[ "$(jq -r .file.id <<<"$BODY")" = F0CSV ] || fail "files.info with a form body: $BODY"
CT=$(curl -sS -o "$WORK/got.csv" -w '%{http_code} %{content_type}' -H "Authorization: Bearer $TOKEN" "$DL")
[ "$CT" = "200 text/csv" ] && cmp -s "$WORK/got.csv" "$WORK/cards.csv" || fail "download: $CT"
BODY=$(curl -sS -H "Authorization: Bearer $TOKEN" "$URL/api/files.info?file=F0PDF")
CT=$(curl -sS -o "$WORK/got.pdf" -w '%{http_code} %{content_type}' -H "Authorization: Bearer $TOKEN" \
        "$(jq -r .file.url_private_download <<<"$BODY")")
[ "$CT" = "200 application/pdf" ] && [ "$(base64 -w0 "$WORK/got.pdf")" = "$PDF_B64" ] || fail "pdf download: $CT"
ok "downloads with the bot token -> the bytes seeded, with their content type"
for tok in xoxb-smoke-nofiles xoxb-wrong; do
        CT=$(curl -sS -o "$WORK/login.html" -w '%{http_code} %{content_type}' -H "Authorization: Bearer $tok" "$DL")
        [ "$CT" = "200 text/html; charset=utf-8" ] && grep -q '<!DOCTYPE html>' "$WORK/login.html" &&
                ! grep -q 4111 "$WORK/login.html" || fail "download with $tok: $CT"
done
CT=$(curl -sS -o /dev/null -w '%{http_code} %{content_type}' "$DL")
[ "$CT" = "200 text/html; charset=utf-8" ] || fail "download without a token: $CT"
ok "download without files:read, a wrong token or none -> 200 text/html login page"
BODY=$(curl -sS -H "Authorization: Bearer xoxb-smoke-nofiles" "$URL/api/files.info?file=F0CSV")
[ "$(jq -r '[.ok,.error,.needed]|join(",")' <<<"$BODY")" = "false,missing_scope,files:read" ] ||
        fail "files.info without files:read: $BODY"
ok "files.info without files:read -> missing_scope, needed files:read"
BODY=$(curl -sS -H "Authorization: Bearer $TOKEN" "$URL/api/files.info?file=F0GDOC")
[ "$(jq -r '[.file.is_external,.file.external_type,(.file.url_private_download // "none")]|join(",")' <<<"$BODY")" = "true,gdrive,none" ] ||
        fail "external file: $BODY"
[ "$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$URL/files-pri/T0SIM-F0GDOC/download/plan")" = 404 ] ||
        fail "external download"
ok "an external file: is_external, no url_private_download, download 404"
api files.info '{}' -G -d file=F0NONE
expect_error 200 file_not_found "files.info of an unknown file"
curl -sS -f -d '{"id":"F0GONE","user":"U0SIM","name":"gone.txt","content":"bye"}' "$URL/_sim/files" >/dev/null
BODY=$(curl -sS -H "Authorization: Bearer $TOKEN" "$URL/api/files.info?file=F0GONE")
GONE=$(jq -r .file.url_private_download <<<"$BODY")
api files.delete '{"file":"F0GONE"}'
expect_ok "files.delete of the bot's own file"
[ "$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "$GONE")" = 404 ] ||
        fail "download of a deleted file"
BODY=$(curl -sS -w '\n%{http_code}' -H "Authorization: Bearer $TOKEN" "$URL/api/files.info?file=F0GONE")
CODE=${BODY##*$'\n'} BODY=${BODY%$'\n'*}
expect_error 200 file_deleted "files.info of a deleted file"
ok "a deleted file: download 404, files.info file_deleted"
STATS=$(curl -sS "$URL/_sim/stats")
[ "$(jq -r '[.downloads,.login_pages,.download_not_found]|join(",")' <<<"$STATS")" = 2,3,2 ] ||
        fail "download stats: $STATS"
ok "/_sim/stats counts downloads, login pages and 404s"
curl -sS -f -d '{"id":"F0SLOW","user":"U0SIM","name":"slow.txt","content":"late","delay_ms":700}' \
        "$URL/_sim/files" >/dev/null || fail "seed F0SLOW"
SLOW=$(curl -sS -w ' %{time_total}' -H "Authorization: Bearer $TOKEN" "$URL/files-pri/T0SIM-F0SLOW/download/slow.txt")
[ "${SLOW% *}" = late ] && awk -v t="${SLOW#* }" 'BEGIN { exit !(t >= 0.7) }' || fail "slow download: $SLOW"
[ "$(curl -sS -o /dev/null -w '%{http_code}' -d '{"id":"F0SLOW2","user":"U0SIM","delay_ms":-1}' "$URL/_sim/files")" = 400 ] ||
        fail "a negative delay_ms"
ok "a file seeded with delay_ms: its download answered that late, whole"
# Tier 4: a bucket of 20 refilled at 1/min here (so no timing matters);
# the calls above spent some of it
codes=()
for i in $(seq 25); do
        api files.info '' -G -d file=F0CSV
        codes+=("$CODE")
done
[[ " ${codes[*]} " == *" 200 429 "* ]] && [ "${codes[0]}" = 200 ] &&
        [ "${codes[24]}" = 429 ] && [[ $RETRY_AFTER =~ ^[1-9][0-9]*$ ]] ||
        fail "tier4 codes: ${codes[*]} ($RETRY_AFTER)"
[ "$(curl -sS "$URL/_sim/stats" | jq '.tier4["files.info"].rate_limited > 0')" = true ] || fail "tier4 stats"
ok "files.info at Tier 4 (bucket of 20, 1/min here) -> 429 with Retry-After: $RETRY_AFTER"
stop files

# fault injection
start faults SLACK_SIM_FAIL_EVERY=3 SLACK_SIM_RATE=0
codes=()
for i in 1 2 3 4 5 6; do
        api chat.postMessage "{\"channel\":\"C0F\",\"text\":\"f$i\"}"
        codes+=("$CODE")
done
[ "${codes[*]}" = "200 200 500 200 200 500" ] || fail "faults: ${codes[*]}"
[ "$(curl -sS "$URL/_sim/stats" | jq '[.injected_faults,.posted]|join(",")' -r)" = 2,4 ] ||
        fail "fault stats"
ok "SLACK_SIM_FAIL_EVERY=3 -> ${codes[*]}"
stop faults

rc=0
SLACK_SIM_RATE=-1 "$BIN" >/dev/null 2>"$WORK/bad.err" || rc=$?
[ "$rc" = 2 ] && grep -q SLACK_SIM_RATE "$WORK/bad.err" || fail "bad setting"
ok "SLACK_SIM_RATE=-1 -> exit 2: $(jq -r .msg "$WORK/bad.err")"
echo "all slack-sim checks passed"
