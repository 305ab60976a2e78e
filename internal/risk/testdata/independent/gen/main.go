//go:build ignore

// Command gen writes the independent risk corpus: conversations combined from
// hand-written variants, split deterministically into dev.jsonl and
// heldout.jsonl, stratified by scenario.
//
//	go run ./internal/risk/testdata/independent/gen -out internal/risk/testdata/independent
package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math/rand"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

type member struct {
	ID             string `json:"id"`
	AgeBand        string `json:"age_band"`
	DeclaredAge    int    `json:"declared_age"`
	Connected      bool   `json:"connected"`
	AccountAgeDays int    `json:"account_age_days,omitempty"`
	AgeAssurance   string `json:"age_assurance,omitempty"`
	ContactOrigin  string `json:"contact_origin,omitempty"`
}

type message struct {
	From     string `json:"from"`
	T        int    `json:"t"`
	Text     string `json:"text"`
	HasImage bool   `json:"has_image,omitempty"`
}

type conversation struct {
	ID             string    `json:"id"`
	Scenario       string    `json:"scenario"`
	Label          string    `json:"label"`
	FirstRiskIndex *int      `json:"first_risk_index,omitempty"`
	Relationship   string    `json:"relationship"`
	OffenderRole   string    `json:"offender_role,omitempty"`
	Members        []member  `json:"members"`
	Messages       []message `json:"messages"`
}

// seg is one step of a conversation: one of alts is chosen. A signal segment
// holds the first sign of the behaviour; its first line marked with "!" (or
// its first line when none is marked) is the first risk message.
type seg struct {
	signal bool
	alts   []string
}

func S(alts ...string) seg { return seg{alts: alts} }
func R(alts ...string) seg { return seg{signal: true, alts: alts} }

// castMember is a member before names are drawn.
type castMember struct {
	band      string
	declared  int
	connected bool
	accAge    int
	assurance string
	origin    string
}

type cast struct {
	rel   string
	orole string
	roles map[string]castMember
	names map[string][]string // name pools by role, where the default does not fit
}

type scenario struct {
	name  string
	label string
	n     int
	casts []func(r *rand.Rand) cast
	segs  []seg
}

var scenarios []scenario

func add(name, label string, n int, casts []func(r *rand.Rand) cast, segs ...seg) {
	scenarios = append(scenarios, scenario{name, label, n, casts, segs})
}

func between(r *rand.Rand, lo, hi int) int  { return lo + r.Intn(hi-lo+1) }
func pick(r *rand.Rand, xs []string) string { return xs[r.Intn(len(xs))] }

var (
	childNames    = []string{"maisie", "olly", "ruby_x", "alfie.j", "freya", "harvey", "isla.m", "kian", "poppy", "reggie", "amira", "leo_b", "evie", "callum", "zara.k", "finley", "tilly", "jayden", "nia", "archie", "lexi", "mo_r", "darcey", "tyler_w", "grace.o", "kacper", "esme", "rhys", "sofia_p", "connor"}
	adultNames    = []string{"jay_91", "dan.m", "chris_k", "tommo", "mike_r", "rob.h", "lee_84", "steve.p", "ash_x", "gaz", "kev_w", "matt_l", "shaun.b", "paul_t", "craig", "neil.s", "dean_c", "jon_88", "ricky", "phil.g"}
	teenFakeNames = []string{"kayla_x", "liam.14", "josh_b", "ellie.mae", "tyler.x", "jess_08", "bradley", "chloe_xo", "kai.j", "mia_ttv", "ryan_b", "lucy.k"}
	parentNames   = []string{"mum", "sarah_k", "dad", "claire.h", "gary_w", "nicola", "andy.p", "jo_m", "helen.r", "mark_t"}
	friendNames   = []string{"bex", "sami", "jordan.k", "holly", "ben_w", "aisha", "charlie", "megan.r", "dev", "erin", "oscar.t", "layla"}
	adultGood     = []string{"mr_hughes", "ms.patel", "coach_dave", "jenny.ywk", "mr_okafor", "mrs_bell", "nan", "grandad", "sam_tutor", "karen_mgr", "uncle_raj", "auntie_lou"}
	places        = []string{"the Arndale", "Westfield", "the bus station", "Costa on the high street", "the retail park", "the McDonald's by the station", "the park by the canal", "the leisure centre"}
	games         = []string{"Fortnite", "Roblox", "FIFA", "Minecraft", "Rocket League", "Apex", "Among Us", "Fall Guys"}
	apps          = []string{"Telegram", "Signal", "Kik", "Wickr", "Session", "Threema"}
	amounts       = []string{"£50", "£100", "£150", "£200", "£300", "£80"}
	gifts         = []string{"a new phone", "AirPods", "a PS5 game", "£40 of Robux", "V-Bucks", "a Nike hoodie", "a Steam card", "a £50 Amazon voucher"}
	countdowns    = []string{"10 mins", "20 minutes", "an hour", "15 mins", "30 mins", "5 mins"}
)

// Casts for risk conversations.
func victim(r *rand.Rand) castMember {
	if r.Intn(2) == 0 {
		return castMember{band: "child", declared: between(r, 10, 12), connected: true, accAge: between(r, 30, 700), assurance: pick(r, []string{"verified", "self-declared"})}
	}
	return castMember{band: "teen", declared: between(r, 13, 15), connected: true, accAge: between(r, 30, 900), assurance: pick(r, []string{"verified", "self-declared"})}
}

// unconnected is a young person who is not yet a contact of the other member.
func unconnected(r *rand.Rand) castMember {
	v := victim(r)
	v.connected = false
	return v
}

func strangerAdult(r *rand.Rand) cast {
	return cast{rel: "strangers", orole: "stranger", roles: map[string]castMember{
		"o": {band: "adult", declared: between(r, 19, 44), connected: false, accAge: between(r, 1, 60), assurance: "self-declared", origin: "adult_requested"},
		"v": unconnected(r)}}
}

func strangerFakeTeen(r *rand.Rand) cast {
	return cast{rel: "strangers", orole: "adult_posing_as_teen", roles: map[string]castMember{
		"o": {band: "adult", declared: between(r, 13, 16), connected: false, accAge: between(r, 1, 30), assurance: "self-declared", origin: "adult_requested"},
		"v": unconnected(r)}}
}

func onlineFakeTeen(r *rand.Rand) cast {
	return cast{rel: "contacts", orole: "peer_really_adult", roles: map[string]castMember{
		"o": {band: "adult", declared: between(r, 13, 16), connected: true, accAge: between(r, 40, 500), assurance: "self-declared", origin: pick(r, []string{"adult_requested", "minor_requested"})},
		"v": victim(r)}}
}

func connectedAdult(rel, role string) func(r *rand.Rand) cast {
	return func(r *rand.Rand) cast {
		return cast{rel: rel, orole: role, roles: map[string]castMember{
			"o": {band: "adult", declared: between(r, 24, 58), connected: true, accAge: between(r, 200, 2500), assurance: pick(r, []string{"verified", "self-declared"}), origin: pick(r, []string{"adult_requested", "minor_requested"})},
			"v": victim(r)}}
	}
}

func olderTeen(r *rand.Rand) cast {
	v := castMember{band: "child", declared: between(r, 11, 13), connected: true, accAge: between(r, 30, 600), assurance: "self-declared"}
	if v.declared == 13 {
		v.band = "teen"
	}
	return cast{rel: "contacts", orole: "older_teen", roles: map[string]castMember{
		"o": {band: "teen", declared: 17, connected: true, accAge: between(r, 300, 1500), assurance: "self-declared", origin: "adult_requested"},
		"v": v}}
}

func gamingAdult(r *rand.Rand) cast {
	return cast{rel: "contacts", orole: "gaming_contact", roles: map[string]castMember{
		"o": {band: "adult", declared: between(r, 18, 30), connected: true, accAge: between(r, 60, 900), assurance: "self-declared", origin: pick(r, []string{"adult_requested", "minor_requested"})},
		"v": victim(r)}}
}

var (
	relative     = connectedAdult("family", "relative")
	familyFriend = connectedAdult("contacts", "family_friend")
	coach        = connectedAdult("contacts", "coach")
	tutor        = connectedAdult("contacts", "tutor")
)

var (
	anyOffender   = []func(*rand.Rand) cast{strangerAdult, onlineFakeTeen, relative, familyFriend, coach, olderTeen, gamingAdult, strangerFakeTeen, tutor}
	knownOffender = []func(*rand.Rand) cast{relative, familyFriend, coach, olderTeen, gamingAdult, onlineFakeTeen, tutor}
	fakeTeen      = []func(*rand.Rand) cast{strangerFakeTeen, onlineFakeTeen}
	sextortion    = []func(*rand.Rand) cast{strangerFakeTeen, strangerFakeTeen, onlineFakeTeen, strangerAdult, gamingAdult, olderTeen}
)

// Casts for safe and support conversations.
func young(r *rand.Rand, lo, hi int) castMember {
	a := between(r, lo, hi)
	b := "child"
	if a >= 13 {
		b = "teen"
	}
	return castMember{band: b, declared: a, connected: true, accAge: between(r, 30, 900), assurance: pick(r, []string{"verified", "self-declared"})}
}

func grown(r *rand.Rand, lo, hi int) castMember {
	return castMember{band: "adult", declared: between(r, lo, hi), connected: true, accAge: between(r, 100, 3000), assurance: pick(r, []string{"verified", "self-declared"})}
}

func c(rel string, roles func(r *rand.Rand) map[string]castMember) []func(*rand.Rand) cast {
	return cn(rel, nil, roles)
}

func cn(rel string, names map[string][]string, roles func(r *rand.Rand) map[string]castMember) []func(*rand.Rand) cast {
	return []func(*rand.Rand) cast{func(r *rand.Rand) cast { return cast{rel: rel, roles: roles(r), names: names} }}
}

var (
	teachers     = []string{"mr_hughes", "ms.patel", "mrs_bell", "mr_okafor", "miss_reid", "mr.evans"}
	coaches      = []string{"coach_dave", "coach.sian", "gareth_fc", "coach_amir", "kelly.swim"}
	youthWorkers = []string{"jenny.ywk", "tom_youthclub", "priya.yw", "marcus_ywk"}
	tutors       = []string{"sam_tutor", "helen.tutor", "mr_d_tutoring", "anna_maths"}
	managers     = []string{"karen_mgr", "cafe_steph", "dom.manager", "lisa_shift"}
	grandparents = []string{"nan", "grandad", "nanna_jean", "grandma.p", "gramps_ron"}
)

var (
	parentChild = c("family", func(r *rand.Rand) map[string]castMember {
		return map[string]castMember{"p": grown(r, 32, 52), "v": young(r, 10, 16)}
	})
	parentParentChild = c("family", func(r *rand.Rand) map[string]castMember {
		return map[string]castMember{"p": grown(r, 32, 52), "q": grown(r, 32, 55), "v": young(r, 10, 16)}
	})
	friends = c("friends", func(r *rand.Rand) map[string]castMember {
		a := between(r, 11, 16)
		x, y := young(r, a, a), young(r, a, a)
		return map[string]castMember{"v": x, "f": y}
	})
	friendGroup = c("friends", func(r *rand.Rand) map[string]castMember {
		a := between(r, 11, 16)
		return map[string]castMember{"v": young(r, a, a), "f": young(r, a, a), "g": young(r, a, a+1)}
	})
	siblings = c("family", func(r *rand.Rand) map[string]castMember {
		return map[string]castMember{"v": young(r, 10, 14), "s": young(r, 15, 17), "p": grown(r, 35, 50)}
	})
	siblingsOnly = c("family", func(r *rand.Rand) map[string]castMember {
		return map[string]castMember{"v": young(r, 10, 14), "s": grown(r, 18, 24)}
	})
	adultWithParent = func(rel string, pool []string) []func(*rand.Rand) cast {
		return cn(rel, map[string][]string{"a": pool}, func(r *rand.Rand) map[string]castMember {
			return map[string]castMember{"a": grown(r, 24, 60), "p": grown(r, 32, 52), "v": young(r, 10, 16)}
		})
	}
	adultAndParent = func(rel string, pool []string) []func(*rand.Rand) cast {
		return cn(rel, map[string][]string{"a": pool}, func(r *rand.Rand) map[string]castMember {
			return map[string]castMember{"a": grown(r, 24, 60), "p": grown(r, 32, 52)}
		})
	}
	classGroup = cn("school_group", map[string][]string{"a": teachers}, func(r *rand.Rand) map[string]castMember {
		return map[string]castMember{"a": grown(r, 26, 55), "p": grown(r, 32, 52), "q": grown(r, 30, 52), "v": young(r, 11, 14)}
	})
	clubGroup = cn("club_group", map[string][]string{"a": coaches}, func(r *rand.Rand) map[string]castMember {
		return map[string]castMember{"a": grown(r, 26, 55), "p": grown(r, 32, 52), "q": grown(r, 30, 52), "v": young(r, 10, 15)}
	})
	employer = cn("work", map[string][]string{"a": managers}, func(r *rand.Rand) map[string]castMember {
		return map[string]castMember{"a": grown(r, 25, 50), "v": young(r, 16, 17)}
	})
	grandparent = cn("family", map[string][]string{"a": grandparents}, func(r *rand.Rand) map[string]castMember {
		return map[string]castMember{"a": grown(r, 62, 80), "v": young(r, 10, 16)}
	})
	trustedAdult = cn("school", map[string][]string{"a": append(append([]string{}, teachers...), youthWorkers...)}, func(r *rand.Rand) map[string]castMember {
		return map[string]castMember{"a": grown(r, 26, 55), "v": young(r, 11, 16)}
	})
	teenPeers = c("contacts", func(r *rand.Rand) map[string]castMember {
		return map[string]castMember{"v": young(r, 14, 16), "f": young(r, 14, 16)}
	})
)

var (
	reWord = map[string]*regexp.Regexp{}
	swaps  = [][2]string{{"you", "u"}, {"your", "ur"}, {"you're", "ur"}, {"are", "r"}, {"okay", "ok"}, {"tonight", "2nite"}, {"later", "l8r"}, {"mate", "m8"}, {"because", "cos"}, {"don't", "dont"}, {"I'm", "im"}, {"can't", "cant"}, {"please", "pls"}}
	emojis = []string{" 😂", " 😭", " 😅", " 👀", " 💀", " 🙄", " 😬"}
)

func init() {
	for _, s := range swaps {
		reWord[s[0]] = regexp.MustCompile(`\b` + regexp.QuoteMeta(s[0]) + `\b`)
	}
}

// styleText gives each person a way of writing: as written, all lower case,
// text-speak, or with emoji.
func styleText(r *rand.Rand, style int, s string) string {
	switch style {
	case 1:
		s = strings.ToLower(s)
		s = strings.TrimSuffix(s, ".")
	case 2:
		for _, w := range swaps {
			s = reWord[w[0]].ReplaceAllString(s, w[1])
		}
		s = strings.TrimSuffix(s, ".")
	case 3:
		if r.Intn(3) == 0 && !strings.ContainsAny(s, "😂😭🙏😅👀💀😊❤👍🤷😬🙄") {
			s += pick(r, emojis)
		}
	}
	return s
}

func yearGroup(age int) string { return fmt.Sprintf("year %d", age-4) }

func build(r *rand.Rand, sc scenario, idx int) conversation {
	cs := sc.casts[r.Intn(len(sc.casts))](r)
	used := map[string]bool{}
	names := map[string]string{}
	draw := func(pool []string) string {
		for {
			n := pick(r, pool)
			if !used[n] {
				used[n] = true
				return n
			}
		}
	}
	roles := make([]string, 0, len(cs.roles))
	for k := range cs.roles {
		roles = append(roles, k)
	}
	sort.Strings(roles)
	for _, k := range roles {
		m := cs.roles[k]
		switch {
		case cs.names[k] != nil:
			names[k] = draw(cs.names[k])
		case k == "o" && m.band == "adult" && m.declared < 18:
			names[k] = draw(teenFakeNames)
		case k == "o":
			names[k] = draw(adultNames)
		case k == "v":
			names[k] = draw(childNames)
		case k == "f" || k == "g":
			names[k] = draw(friendNames)
		case k == "s":
			names[k] = draw(friendNames)
		case k == "p" || k == "q":
			names[k] = draw(parentNames)
		case k == "a":
			names[k] = draw(adultGood)
		}
	}
	conv := conversation{
		ID:           fmt.Sprintf("ind-%s-%02d", sc.name, idx),
		Scenario:     sc.name,
		Label:        sc.label,
		Relationship: cs.rel,
		OffenderRole: cs.orole,
	}
	for _, k := range roles {
		m := cs.roles[k]
		conv.Members = append(conv.Members, member{ID: names[k], AgeBand: m.band, DeclaredAge: m.declared, Connected: m.connected, AccountAgeDays: m.accAge, AgeAssurance: m.assurance, ContactOrigin: m.origin})
	}
	vAge := 13
	if v, ok := cs.roles["v"]; ok {
		vAge = v.declared
	}
	subst := map[string]string{
		"{place}": pick(r, places), "{game}": pick(r, games), "{app}": pick(r, apps),
		"{amt}": pick(r, amounts), "{gift}": pick(r, gifts), "{cd}": pick(r, countdowns),
		"{yr}": yearGroup(vAge), "{age}": fmt.Sprint(vAge), "{oage}": fmt.Sprint(cs.roles["o"].declared),
	}
	for _, k := range roles {
		subst["{"+k+"}"] = strings.Split(strings.Split(names[k], "_")[0], ".")[0]
	}
	style := map[string]int{}
	calm := !strings.HasPrefix(sc.name, "sextortion") && !strings.HasPrefix(sc.name, "victim_reveals")
	for _, k := range roles {
		style[k] = r.Intn(4)
		if (!calm || cs.roles[k].band == "adult") && style[k] == 3 {
			style[k] = 0
		}
	}
	t := 0
	first := -1
	for _, sg := range sc.segs {
		alt := pick(r, sg.alts)
		lines := strings.Split(strings.TrimSpace(alt), "\n")
		marked := strings.Contains(alt, "\n!") || strings.HasPrefix(strings.TrimSpace(alt), "!")
		for li, ln := range lines {
			ln = strings.TrimSpace(ln)
			if ln == "" {
				continue
			}
			isFirst := false
			if strings.HasPrefix(ln, "!") {
				ln = ln[1:]
				isFirst = true
			} else if sg.signal && !marked && li == 0 {
				isFirst = true
			}
			img := false
			if strings.HasPrefix(ln, "+") {
				ln = ln[1:]
				img = true
			}
			role, text, ok := strings.Cut(ln, ":")
			if !ok {
				log.Fatalf("%s: bad line %q", sc.name, ln)
			}
			if _, ok := cs.roles[role]; !ok {
				log.Fatalf("%s: role %q not in cast %v", sc.name, role, roles)
			}
			text = strings.TrimSpace(text)
			for k, v := range subst {
				text = strings.ReplaceAll(text, k, v)
			}
			if strings.Contains(text, "{") {
				log.Fatalf("%s: unfilled %q", sc.name, text)
			}
			if len(conv.Messages) > 0 {
				gap := between(r, 4, 90)
				if r.Intn(8) == 0 {
					gap = between(r, 300, 5400)
				}
				t += gap
			}
			if sg.signal && isFirst && first < 0 {
				first = len(conv.Messages)
			}
			conv.Messages = append(conv.Messages, message{From: names[role], T: t, Text: styleText(r, style[role], text), HasImage: img})
		}
	}
	if sc.label == "risk" {
		if first < 0 {
			log.Fatalf("%s: risk conversation without a signal segment", sc.name)
		}
		conv.FirstRiskIndex = &first
	}
	return conv
}

func hashOf(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func main() {
	out := flag.String("out", ".", "directory for dev.jsonl and heldout.jsonl")
	flag.Parse()
	r := rand.New(rand.NewSource(20261207))
	var dev, held []conversation
	for _, sc := range scenarios {
		seen := map[string]bool{}
		var convs []conversation
		for tries := 0; len(convs) < sc.n; tries++ {
			if tries > sc.n*50 {
				log.Fatalf("%s: only %d distinct conversations", sc.name, len(convs))
			}
			cv := build(r, sc, len(convs)+1)
			var b strings.Builder
			for _, m := range cv.Messages {
				b.WriteString(m.Text[:min(len(m.Text), 12)])
			}
			key := b.String()
			if seen[key] {
				continue
			}
			seen[key] = true
			if n := len(cv.Messages); n < 6 || n > 30 {
				continue
			}
			convs = append(convs, cv)
		}
		// Split: within each scenario, order by the hash of the id and put
		// the first 40% (rounded) into dev, the rest into held-out.
		sort.Slice(convs, func(i, j int) bool { return hashOf(convs[i].ID) < hashOf(convs[j].ID) })
		nd := (len(convs)*4 + 5) / 10
		dev = append(dev, convs[:nd]...)
		held = append(held, convs[nd:]...)
	}
	write := func(name string, cs []conversation) {
		sort.Slice(cs, func(i, j int) bool { return cs[i].ID < cs[j].ID })
		f, err := os.Create(filepath.Join(*out, name))
		if err != nil {
			log.Fatal(err)
		}
		w := bufio.NewWriter(f)
		for _, cv := range cs {
			b, err := json.Marshal(cv)
			if err != nil {
				log.Fatal(err)
			}
			w.Write(b)
			w.WriteByte('\n')
		}
		if err := w.Flush(); err != nil {
			log.Fatal(err)
		}
		if err := f.Close(); err != nil {
			log.Fatal(err)
		}
	}
	write("dev.jsonl", dev)
	write("heldout.jsonl", held)
	fmt.Printf("dev %d, heldout %d\n", len(dev), len(held))
}
