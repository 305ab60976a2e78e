//go:build ignore

package main

import "strings"

// Longer stretches of ordinary talk, used (or left out) to vary how long the
// rapport lasts before the first sign appears.

func maybe(s seg) seg {
	alts := append([]string{}, s.alts...)
	for range s.alts {
		alts = append(alts, "")
	}
	return seg{signal: s.signal, alts: alts}
}

var openers = seg{alts: append(append([]string{}, baseOpeners.alts...), moreOpeners...)}

var moreOpeners = []string{
	`o: oi {v} did u see the match
v: no i was at my dads
o: we won 3-1 mate
v: yesss`,
	`o: hey, its been ages
v: i know sorry ive been so busy
o: no worries. how is everything
v: ok. my mum and dad have been arguing a lot`,
	`o: ur story was so funny earlier 😂
v: lol which one
o: the one with ur dog
v: hes such a div`,
	`v: hiya
o: hey u! how was ur weekend
v: went to my cousins party
o: nice, was it good
v: it was ok`,
	`o: u still stuck on that level
v: yeah its impossible
o: ill show u a trick later
v: ok thanks`,
	`o: hows ur mum doing
v: shes ok, working loads
o: must be hard for u being on ur own so much
v: its fine i guess`,
	`o: morning! ready for the match saturday?
v: kind of nervous
o: u'll smash it
v: hope so`,
	`o: wuu2
v: nm just watching youtube
o: who u watching
v: sidemen`,
}

var longTalk = S(
	`o: what u doing for ur birthday
v: prob just pizza with my mates
o: sounds good
v: my mum said maybe bowling
o: bowling is class
v: im rubbish at it tho 😂`,
	`v: ugh i got a detention
o: what for
v: talking in science
o: harsh
v: the teacher hates me
o: nah she doesnt, dont stress`,
	`o: whats ur fav food
v: nandos obviously
o: lemon and herb or hot
v: medium lol
o: ur so basic 😂
v: shush`,
	`v: my phone is on 3%
o: charge it then lol
v: charger is downstairs and i cant be bothered
o: lazy
v: ikr`,
	`o: did u finish that series
v: nearly, 2 eps left
o: dont tell me anything
v: i wont
o: good`,
	`v: we got our mock results back
o: and?
v: passed maths, failed french
o: french is pointless anyway
v: tell my mum that`,
)

func init() {
	for i := range scenarios {
		if scenarios[i].label != "risk" || len(scenarios[i].segs) < 2 || strings.HasPrefix(scenarios[i].name, "sextortion") {
			continue
		}
		sg := scenarios[i].segs
		// Put an optional stretch of ordinary talk after the first piece
		// when that piece is not itself a sign.
		if !sg[0].signal {
			scenarios[i].segs = append([]seg{sg[0], maybe(longTalk)}, sg[1:]...)
		}
	}
}

// Ordinary talk for safe conversations, so that their length overlaps with
// that of risk conversations.
var (
	parentTalk = S(
		`p: have u done ur homework
v: nearly
p: no xbox till its done
v: ugh fine`,
		`v: whats for tea
p: spag bol
v: yesss
p: set the table when ur back`,
		`p: did u feed the cat
v: yeah this morning
p: thank u
v: can i have my pocket money early
p: nice try`,
		`v: can i get new trainers for PE
p: what happened to the old ones
v: they're falling apart
p: we'll look at the weekend`,
		`p: ur room is a tip btw
v: ill do it later
p: today please
v: fineee`)
	friendTalk = S(
		`f: did u see what happened in form
v: no what
f: josh fell off his chair 😂
v: NO way
f: mr evans couldnt stop laughing`,
		`v: i hate mondays
f: same
v: double science first thing
f: kill me`,
		`f: are u going to the disco
v: maybe. are u
f: only if u go
v: ok then 😂`,
		`v: my mum is making me go to my cousins
f: boring
v: ikr
f: text me the whole time`)
	groupTalk = S(
		`q: Sorry to ask again, what time is pickup?
a: 3:15 at the main gate
q: Thank you`,
		`p: Well done to everyone this week
q: They were brilliant
a: Very proud of them all`,
		`q: Has anyone seen a blue water bottle?
p: Not us sorry
a: I'll check lost property`)
	adultParentTalk = S(
		`p: Sorry, who's this chat for again?
a: It's just for arrangements, I always include a parent
p: Perfect, thanks`,
		`v: is it still on if it rains
a: Yes, we'll move inside
p: Good to know`,
		`p: She's been looking forward to it all week
a: Great to hear`)
	siblingTalk = S(
		`s: stop using my charger
v: i didnt
s: its literally in ur room
v: ok maybe i did`,
		`v: can u help with my maths later
s: what is it
v: equations
s: send a pic of the question`)
)

var safeTalk = map[string]seg{
	"family_meeting_logistics":         parentTalk,
	"parent_asks_project_photos":       parentTalk,
	"parent_delete_embarrassing_photo": parentTalk,
	"parent_checks_whereabouts":        parentTalk,
	"parent_sends_train_money":         parentTalk,
	"secret_present_for_parent":        parentTalk,
	"friends_sleepover_planning":       friendTalk,
	"gaming_squad":                     friendTalk,
	"teen_crush_secret":                friendTalk,
	"friend_new_phone_number":          friendTalk,
	"peers_homework_share":             friendTalk,
	"friends_meet_in_town":             friendTalk,
	"teacher_trip_class_group":         groupTalk,
	"online_safety_lesson":             groupTalk,
	"club_kit_money":                   groupTalk,
	"coach_pickup_parent_in_chat":      adultParentTalk,
	"youth_worker_parent_present":      adultParentTalk,
	"school_photo_consent":             adultParentTalk,
	"siblings_surprise_party_secret":   siblingTalk,
	"older_sibling_lift":               siblingTalk,
}

// Support conversations may start with ordinary talk before the disclosure.
var supportTalk = map[string]seg{
	"disclose_to_friend_pic_requests": friendTalk,
	"friend_urges_childline":          friendTalk,
	"disclose_to_parent_sextortion":   parentTalk,
	"disclose_meet_request_to_parent": parentTalk,
	"sibling_helps_block_report":      siblingTalk,
}

func init() {
	for i := range scenarios {
		t, ok := safeTalk[scenarios[i].name]
		if !ok {
			continue
		}
		sg := scenarios[i].segs
		n := len(sg)
		out := append([]seg{sg[0], maybe(t)}, sg[1:n-1]...)
		scenarios[i].segs = append(out, maybe(t), sg[n-1])
	}
	for i := range scenarios {
		if t, ok := supportTalk[scenarios[i].name]; ok {
			scenarios[i].segs = append([]seg{maybe(t)}, scenarios[i].segs...)
		}
	}
}
