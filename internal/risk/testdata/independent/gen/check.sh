#!/bin/sh
# Checks that every line of the corpus parses as JSON, has the fields the
# format needs, and that each risk conversation's first_risk_index points at a
# message. Run from internal/risk/testdata/independent.
set -e
for f in ${@:-dev.jsonl heldout.jsonl}; do
	jq -c . "$f" > /dev/null || { echo "$f: a line does not parse as JSON"; exit 1; }
	bad=$(jq -r '
	  select(
	    (.id|type) != "string" or
	    ((.label == "risk" or .label == "safe" or .label == "support")|not) or
	    (.members|length) < 2 or
	    (.messages|length) < 6 or (.messages|length) > 30 or
	    ([.messages[].t] as $t | [range(1; $t|length) | select($t[.] <= $t[.-1])] | length) > 0 or
	    ([.members[].id] as $ids | [.messages[] | select(.from as $f | $ids | index($f) | not)] | length) > 0 or
	    (.label == "risk" and ((.first_risk_index|type) != "number" or .first_risk_index < 0 or .first_risk_index >= (.messages|length))) or
	    (.label != "risk" and has("first_risk_index"))
	  ) | .id' "$f")
	if [ -n "$bad" ]; then
		echo "$f: bad conversations:"
		echo "$bad"
		exit 1
	fi
	echo "$f: $(wc -l < "$f") lines ok"
done
