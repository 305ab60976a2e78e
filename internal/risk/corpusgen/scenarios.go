package main

import "math/rand/v2"

func adult(r *rand.Rand, id string, lo, hi int, connected bool) member {
	return member{ID: id, AgeBand: "adult", DeclaredAge: lo + r.IntN(hi-lo+1), Connected: connected}
}

func minor(r *rand.Rand, id string, lo, hi int, connected bool) member {
	age := lo + r.IntN(hi-lo+1)
	band := "teen"
	if age < 13 {
		band = "child"
	}
	return member{ID: id, AgeBand: band, DeclaredAge: age, Connected: connected}
}

func days(n int) *int { return &n }

var (
	both        = [2]bool{true, true}
	heldoutOnly = [2]bool{false, true}
	groomer     = map[string]float64{"a": 0.35, "c": 0.7}
	family      = map[string]float64{"a": 0.1, "c": 0.6, "p": 0.1}
	teens       = map[string]float64{"c": 0.7, "d": 0.7, "e": 0.7, "f": 0.7}
)

func stranger(lo, hi int) func(r *rand.Rand) []member {
	return func(r *rand.Rand) []member {
		a := adult(r, "a", 24, 58, false)
		a.ContactOrigin = []string{"minor_requested", "adult_requested", ""}[r.IntN(3)]
		if r.IntN(2) == 0 {
			a.AccountAgeDays = days(10 + r.IntN(400))
		}
		return []member{a, minor(r, "c", lo, hi, false)}
	}
}

func relative(lo, hi int) func(r *rand.Rand) []member {
	return func(r *rand.Rand) []member {
		a := adult(r, "a", 30, 75, true)
		a.AgeAssurance = "verified"
		a.AccountAgeDays = days(200 + r.IntN(2000))
		return []member{a, minor(r, "c", lo, hi, true)}
	}
}

func scenarios() []scenario {
	return []scenario{
		// --- risk: a 12-year-old pressed by an older man for pictures ---
		{name: "image-pressure", label: "risk", banks: both, members: stranger(11, 12), style: groomer, lines: []line{
			say("a", []string{"hey {name} saw you on {game}, you're really good", "hi, you were in my lobby earlier, gg"},
				[]string{"hiya, we played {game} together yesterday remember", "hey you, thanks for the game earlier"}),
			say("c", []string{"thanks", "oh hi", "lol thanks"}, []string{"oh yeah hi", "hey", "ty"}),
			say("a", []string{"how old are you?", "what year are you in at school?"}, []string{"how old r you btw", "which year are you in"}).o(),
			say("c", []string{"{age}", "I'm {age}", "year {year}"}, []string{"{age} why", "im {age}", "in year {year}"}).o(),
			say("a", []string{"you seem really mature for your age", "you're so mature for your age honestly"},
				[]string{"you come across way older than {age}", "you're more grown up than people my age haha"}).o(),
			say("a", []string{"can you send me a picture of you?", "send me a selfie", "I want to see what you look like, send a pic"},
				[]string{"show me what you look like", "let me see you, take a photo for me", "got any photos of yourself?"}).r(),
			say("c", []string{"why", "um idk", "i dont really want to"}, []string{"what for", "not sure", "hmm maybe not"}),
			say("a", []string{"come on it's just one picture", "if you really trusted me you would", "don't be shy, please"},
				[]string{"it's no big deal", "I thought we were friends", "why are you being so difficult"}),
			say("a", []string{"don't tell your mum about me ok", "this is our secret", "delete our messages after"},
				[]string{"keep this between us", "no one needs to know we talk", "make sure you clear this chat"}).o(),
		}},
		// --- risk: isolation ---
		{name: "isolation", label: "risk", banks: both, members: stranger(12, 15), style: groomer, lines: []line{
			say("a", []string{"how was school today?", "you ok? you seemed down earlier"}, []string{"hows things at home", "you alright today?"}),
			say("c", []string{"bad, my mum shouted at me again", "rubbish, my parents took my phone for a day"},
				[]string{"not great, got in trouble with my dad", "meh my parents are so annoying"}),
			say("a", []string{"your parents just don't understand you like I do", "they don't get you like I do",
				"your friends don't really care about you, I do"},
				[]string{"nobody understands you the way I do", "I'm the only one who really gets you",
					"you don't need them, you've got me"}).r(),
			say("c", []string{"yeah i guess", "maybe"}, []string{"true", "idk"}),
			say("a", []string{"don't tell them we talk, they'll only stop it", "keep us between you and me"},
				[]string{"they'd never understand us so don't mention me", "no one else needs to know about us"}).o(),
		}},
		// --- risk: moving to another app or to disappearing messages ---
		{name: "platform-move", label: "risk", banks: both, members: stranger(11, 15), style: groomer, lines: []line{
			say("a", []string{"hey, you play {game}?", "hi! love your profile pic"}, []string{"yo, you on {game} much?", "hey there"}),
			say("c", []string{"yeah", "hi", "sometimes"}, []string{"ye", "hey", "a bit"}),
			say("a", []string{"add me on snap, it's easier", "let's go on telegram, it's better there",
				"what's your snapchat?", "turn on disappearing messages"},
				[]string{"we should move this to {app}", "do you have {app}? chat there instead",
					"switch on vanishing mode so it's just us", "give me your number and we'll text"}).r(),
			say("c", []string{"ok", "why", "i'm not allowed"}, []string{"maybe", "how come", "my mum checks my phone"}),
			say("a", []string{"it's more private, no one reads it there", "trust me it's better"},
				[]string{"it's safer, nobody can see it", "just easier that way"}).o(),
		}},
		// --- risk: meeting alone ---
		{name: "meet-alone", label: "risk", banks: both, members: stranger(13, 15), style: groomer, lines: []line{
			say("a", []string{"you live near {place} right?", "I'm going to be in your area {day}"},
				[]string{"I'm round your way {day}", "isn't {place} near you?"}),
			say("c", []string{"yeah kind of", "oh cool"}, []string{"ye", "maybe why"}),
			say("a", []string{"we should meet up sometime", "want to hang out {day}?", "let's meet at {place}"},
				[]string{"we could meet in person", "fancy linking up after school {day}?", "we should finally see each other irl"}).r(),
			say("a", []string{"come alone though, don't bring your mates", "I'll pick you up from {place}", "just you and me ok"},
				[]string{"don't bring anyone, just us two", "I can come and get you", "be on your own though"}),
			say("a", []string{"don't tell your parents", "keep it quiet ok"}, []string{"your mum doesn't need to know", "no one has to know"}).o(),
		}},
		// --- risk: gifts and game credits ---
		{name: "gifts", label: "risk", banks: both, members: stranger(10, 13), style: groomer, lines: []line{
			say("a", []string{"nice skin! you play {game} a lot?", "gg that was a good round"}, []string{"you're decent at {game}", "wp earlier"}),
			say("c", []string{"ty", "yeah every day"}, []string{"thanks lol", "yes"}),
			say("a", []string{"I'll send you some vbucks if you want", "want a gift card?", "I can get you {credits}"},
				[]string{"do you want free robux", "I'll buy you the battle pass", "let me top up your account"}).r(),
			say("c", []string{"really?", "omg yes"}, []string{"wait fr?", "yes pls"}),
			say("a", []string{"just send me a pic first", "don't tell anyone I gave you them"},
				[]string{"only if you show me what you look like", "keep it between us though"}).o(),
		}},
		// --- risk: flattery with pressure, from an established contact ---
		{name: "flattery-pressure", label: "risk", banks: both, members: relative(13, 15), style: groomer, lines: []line{
			say("a", []string{"you looked so grown up at the party", "you've grown up so much"},
				[]string{"can't believe how grown up you are now", "you seemed older than your friends"}),
			say("c", []string{"haha thanks", "lol ok"}, []string{"aw ty", "ha"}),
			say("a", []string{"you're so mature for your age, not like other girls", "honestly age is just a number"},
				[]string{"you're way more mature than girls my age", "you act so much older"}).o(),
			say("a", []string{"if you really trusted me you'd send me a pic, just for me", "send me a selfie, don't be a baby"},
				[]string{"prove you trust me and show me a photo", "it's only one photo, don't be boring"}).r(),
			say("c", []string{"idk", "why"}, []string{"hmm", "what for"}),
			say("a", []string{"it's our secret", "don't show your mum this"}, []string{"between us ok", "delete this after"}).o(),
		}},
		// --- risk: an adult posing as a teen (the 15-year-old deceived), then leaking ---
		{name: "age-deception", label: "risk", banks: both,
			members: func(r *rand.Rand) []member {
				a := adult(r, "a", 26, 45, false)
				a.AccountAgeDays = days(3 + r.IntN(60))
				return []member{a, minor(r, "c", 14, 15, false)}
			}, style: map[string]float64{"a": 0.6, "c": 0.7}, lines: []line{
				say("a", []string{"hey I'm {alias}, saw you at the match", "hiya I think we have mutual friends"},
					[]string{"hi it's {alias}, you know Sam right", "heyy I'm new round here"}),
				say("c", []string{"hi how old are you", "oh hey, what year are you in"}, []string{"hey, how old r u", "hi who is this"}),
				say("a", []string{"I'm {claim} too", "im {claim} lol", "same as you, year {year}"},
					[]string{"{claim} too haha", "I'm {claim} as well", "I'm in year {year} too"}).r(),
				say("a", []string{"send me a pic then", "show me what you look like"}, []string{"pic for pic?", "you first, send one"}),
				image("c").o(),
				say("a", []string{"I've got your pics now, I'll send them to all your friends", "everyone at your school will see them"},
					[]string{"I'll post them online unless you do what I say", "your followers are going to see everything"}).o(),
			}},
		// --- risk: sextortion threat (the 13-year-old threatened) ---
		{name: "sextortion-threat", label: "risk", banks: both, members: stranger(13, 14), style: groomer, lines: []line{
			say("a", []string{"you there?", "answer me"}, []string{"hello??", "why are you ignoring me"}),
			image("c").o(),
			say("a", []string{"if you don't send more I'll send them to all your friends", "everyone at your school will see these",
				"I'll share them with your family"},
				[]string{"I'm going to post them online", "your mum and dad will see them", "I have your pictures and I will leak them"}).r(),
			say("c", []string{"please don't", "please delete them", "im sorry please"}, []string{"no please", "stop", "why are you doing this"}),
			say("a", []string{"then send {amount} or else", "pay me {amount} now"}, []string{"you have 24 hours to pay", "send me a gift card code"}).o(),
		}},
		// --- risk: money demand ---
		{name: "money-demand", label: "risk", banks: both, members: stranger(14, 17), style: groomer, lines: []line{
			say("a", []string{"I have your pics", "I saved everything you sent"}, []string{"I screenshotted all of it", "I kept the video"}).r(),
			say("a", []string{"pay me {amount} now or everyone will see them", "send {amount} or I'll post them"},
				[]string{"{amount} by tonight or they go to your followers", "pay up or your life is ruined"}),
			say("c", []string{"i dont have money", "please i cant"}, []string{"i can't pay that", "please no"}),
			say("a", []string{"get it from your parents, you have one hour", "then steam cards, send me the codes"},
				[]string{"find it or else", "you have 2 hours"}).o(),
		}},
		// --- risk: an established contact asking for pictures and secrecy ---
		{name: "contact-image-secrecy", label: "risk", banks: both, members: relative(11, 14), style: groomer, lines: []line{
			say("a", []string{"how's my favourite girl", "hey kiddo, good day?"}, []string{"hey superstar", "how's my best buddy"}),
			say("c", []string{"good", "fine"}, []string{"ok", "yeah good"}),
			say("a", []string{"send me a selfie, just for me", "send me a photo of you right now"},
				[]string{"show me a picture of yourself", "take a photo for me"}),
			say("a", []string{"don't show your mum this chat", "this is our little secret"},
				[]string{"don't tell anyone we talk like this", "delete these messages after"}).r(),
		}},
		// --- risk: a new account that has tried many minors ---
		{name: "many-minors", label: "risk", banks: both,
			members: func(r *rand.Rand) []member {
				a := adult(r, "a", 22, 50, false)
				a.AccountAgeDays = days(r.IntN(5))
				a.RefusedMinorAttempts = 3 + r.IntN(10)
				return []member{a, minor(r, "c", 11, 14, false)}
			}, style: groomer, lines: []line{
				say("a", []string{"hi", "hey", "hello there"}, []string{"heyy", "hiya", "yo"}),
				say("a", []string{"how old are you", "what year are you in", "asl"}, []string{"how old r u", "what age are you", "what school year are you"}).r(),
				say("c", []string{"{age}", "why"}, []string{"{age} u", "who are you"}),
				say("a", []string{"cool, add me on snap", "nice, what's your insta"}, []string{"cool, you got whatsapp?", "add me on {app}"}).o(),
			}},

		// --- held-out only: a coach who isolates and asks for secrecy ---
		{name: "coach-grooming", label: "risk", banks: heldoutOnly, members: relative(12, 15), style: groomer, lines: []line{
			say("a", nil, []string{"great effort at training tonight", "you were the best on the pitch today"}),
			say("c", nil, []string{"thanks coach", "ty"}),
			say("a", nil, []string{"the others don't appreciate you, only I really know you", "your mates are holding you back, you don't need them"}).r(),
			say("a", nil, []string{"let's keep our chats private, no need to mention them to your parents", "don't let your mum read this"}),
			say("a", nil, []string{"I'll drive you home after training, just us", "I can pick you up early"}).o(),
		}},
		// --- held-out only: a fake talent scout ---
		{name: "fake-scout", label: "risk", banks: heldoutOnly, members: stranger(12, 15), style: groomer, lines: []line{
			say("a", nil, []string{"hi, I scout for a modelling agency", "hey I run a dance channel and you'd be perfect"}),
			say("c", nil, []string{"really?", "omg what"}),
			say("a", nil, []string{"you'll need to send me some photos of yourself", "I need a video of you to show my boss"}).r(),
			say("a", nil, []string{"don't mention it to your parents yet, it's a surprise for them", "keep it quiet till you're signed"}).o(),
			say("a", nil, []string{"we can move this to telegram", "message me on whatsapp instead"}).o(),
		}},

		// --- hard negatives ---
		{name: "parent-homework", label: "safe", banks: both,
			members: func(r *rand.Rand) []member {
				return []member{adult(r, "a", 32, 52, true), minor(r, "c", 10, 15, true)}
			}, style: family, lines: []line{
				say("a", []string{"did you finish your {subject} homework?", "have you done your homework yet"},
					[]string{"how's the {subject} project going", "homework done?"}),
				say("c", []string{"nearly", "yes"}, []string{"almost", "yep"}),
				say("a", []string{"send me a photo of your homework so I can check it", "take a picture of the worksheet and send it to me"},
					[]string{"can you send a pic of the project so I can look", "snap me a photo of your answers for the last question"}),
				image("c"),
				say("a", []string{"looks good, well done", "question 3 is wrong, have another look"}, []string{"great job", "check the last page again"}),
				say("a", []string{"don't forget your PE kit tomorrow", "I'll pick you up from school at {time}"},
					[]string{"dinner at 6", "I'll collect you at {time}"}).o(),
			}},
		{name: "aunt-station", label: "safe", banks: both,
			members: func(r *rand.Rand) []member {
				return []member{adult(r, "a", 30, 60, true), minor(r, "c", 10, 15, true)}
			}, style: family, lines: []line{
				say("a", []string{"your mum said you're coming to stay {day}!", "so excited to see you {day}"},
					[]string{"can't wait for the weekend with you", "your dad says you're on the {time} train"}),
				say("c", []string{"yeah!", "yay"}, []string{"yesss", "can't wait"}),
				say("a", []string{"I'll pick you up from {station} at {time}", "meet me by the ticket machines at {station}"},
					[]string{"I'll be waiting at {station} when your train gets in", "I'll collect you from {station}, by the coffee shop"}),
				say("a", []string{"text me when you're on the train", "let your mum know when you're there"},
					[]string{"message me when you leave", "your mum will put you on the train"}).o(),
				say("c", []string{"ok see you there", "ok"}, []string{"kk", "see u soon"}),
			}},
		{name: "surprise-party", label: "safe", banks: both,
			members: func(r *rand.Rand) []member {
				return []member{adult(r, "a", 35, 55, true), minor(r, "c", 12, 17, true)}
			}, style: family, lines: []line{
				say("a", []string{"don't tell your mum, it's a surprise party for her birthday", "keep it secret, we're throwing mum a surprise party"},
					[]string{"shh, it's a surprise for your mum's 40th, don't say anything", "our secret till saturday: surprise party for mum!"}),
				say("c", []string{"omg ok", "I won't say anything"}, []string{"my lips are sealed", "ok haha"}),
				say("a", []string{"delete this chat so she doesn't see the surprise", "can you keep her out of the house on saturday"},
					[]string{"don't let her see these messages or the surprise is ruined", "get her to the restaurant for 7"}),
				say("a", []string{"can you get a card from all of us?", "I'll get the cake"}, []string{"I'll sort the balloons", "bring the present"}).o(),
			}},
		{name: "group-move", label: "safe", banks: both,
			members: func(r *rand.Rand) []member {
				return []member{minor(r, "c", 13, 16, true), minor(r, "d", 13, 16, true), minor(r, "e", 13, 16, true), minor(r, "f", 13, 16, true)}
			}, style: teens, lines: []line{
				say("c", []string{"lets move the group chat to whatsapp", "everyone add me on snap"}, []string{"we should switch the gc to discord", "move the group to {app}?"}),
				say("d", []string{"yeah this app is dead", "ok whats ur snap"}, []string{"ye fine", "sure add me"}),
				say("e", []string{"send me the link", "add me too"}, []string{"drop the invite", "me too"}),
				say("f", []string{"dont tell mr jones we're doing the project there lol", "turn on disappearing msgs so my mum doesnt read it lol"},
					[]string{"dont tell anyone the quiz answers lol", "delete the old chat"}).o(),
				say("c", []string{"done, sent the invite", "made it"}, []string{"invite sent", "ok everyone in"}),
			}},
		{name: "adults-flirting", label: "safe", banks: both,
			members: func(r *rand.Rand) []member {
				return []member{adult(r, "a", 22, 45, false), adult(r, "c", 22, 45, false)}
			}, style: map[string]float64{"a": 0.4, "c": 0.4}, lines: []line{
				say("a", []string{"you looked gorgeous tonight", "had such a good time with you"}, []string{"you're stunning honestly", "last night was fun"}),
				say("c", []string{"stop it haha", "me too x"}, []string{"you're sweet", "same x"}),
				say("a", []string{"send me a pic of you", "our little secret ok"}, []string{"show me what you're wearing", "keep it between us"}),
				say("c", []string{"come over tonight?", "let's meet up, just us"}, []string{"come round later", "dinner just the two of us?"}),
			}},
		{name: "bike-sale", label: "safe", banks: both,
			members: func(r *rand.Rand) []member {
				a := adult(r, "a", 25, 60, true)
				a.ContactOrigin = "minor_requested"
				return []member{a, minor(r, "c", 14, 17, true)}
			}, style: map[string]float64{"a": 0.2, "c": 0.6}, lines: []line{
				say("c", []string{"is the {item} still for sale?", "hi is your {item} still available"}, []string{"still selling the {item}?", "hey, the {item} on the board, still got it?"}),
				say("a", []string{"yes, {price}", "yep, {price} cash"}, []string{"it is, {price}", "sure, asking {price}"}),
				say("c", []string{"can you send more pics of the {item}?", "send me a photo of the brakes"}, []string{"got any more photos of it", "can I see a picture of the frame"}),
				image("a"),
				say("a", []string{"you can collect it {day}, bring your dad", "come and see it with your mum or dad"},
					[]string{"pick it up {day} with a parent", "meet me at {place} with your mum and I'll bring it"}),
				say("c", []string{"ok, my dad will come", "cool"}, []string{"my mum said ok", "great"}),
			}},
		{name: "friend-support", label: "support", banks: both,
			members: func(r *rand.Rand) []member {
				return []member{minor(r, "c", 12, 16, true), minor(r, "d", 12, 16, true)}
			}, style: map[string]float64{"c": 0.7, "d": 0.7}, lines: []line{
				say("c", []string{"this guy keeps asking me to send pics", "some man online asked me for photos"},
					[]string{"a random account keeps messaging me asking for pictures", "this person I don't know wants a selfie"}),
				say("d", []string{"what? who", "omg are you ok"}, []string{"wait what", "who is it"}),
				say("c", []string{"he said don't tell anyone", "he said he'd send them to everyone"},
					[]string{"he told me to keep it secret", "he said to delete the chat"}),
				say("d", []string{"block him and tell your mum", "you should report him"}, []string{"screenshot it and tell a teacher", "tell someone you trust"}),
				say("c", []string{"what should i do", "im scared"}, []string{"i dont know what to do", "ok i will"}).o(),
			}},
		{name: "grandparent-gift", label: "safe", banks: both,
			members: func(r *rand.Rand) []member {
				return []member{adult(r, "a", 60, 85, true), minor(r, "c", 8, 15, true)}
			}, style: family, lines: []line{
				say("a", []string{"happy birthday darling!", "well done on your exam results"}, []string{"happy birthday sweetheart", "congratulations on your grades!"}),
				say("a", []string{"I'll send you £20 for your birthday", "want a gift card for your birthday?"},
					[]string{"I've put some money in your account for Christmas", "would you like a voucher for your birthday"}),
				say("c", []string{"thank you nan!", "thanks grandad"}, []string{"aww thank you", "thanks so much"}),
				say("a", []string{"don't spend it all at once", "send me a photo of what you buy"}, []string{"buy something nice", "show me a picture of what you get"}).o(),
			}},
		{name: "coach-pickup", label: "safe", banks: both,
			members: func(r *rand.Rand) []member {
				return []member{adult(r, "a", 28, 55, true), adult(r, "p", 35, 50, true), minor(r, "c", 11, 14, true), minor(r, "d", 11, 14, true)}
			}, style: map[string]float64{"a": 0.1, "p": 0.1, "c": 0.6, "d": 0.6}, lines: []line{
				say("a", []string{"parents copied in: I'll pick the boys up at 9 for the away match", "parents cc'd, I'll collect the team from school at {time}"},
					[]string{"with parents in this chat: minibus leaves the club at 8:30", "parents, I'll pick up the kids from the leisure centre at {time}"}),
				say("p", []string{"thanks coach, he'll be ready", "great, thank you"}, []string{"perfect, thanks", "he'll be there"}),
				say("a", []string{"meet at the club at half 8, bring your boots", "send me a photo of the team sheet when you have it"},
					[]string{"meet by the gates, bring water", "can someone send a picture of the fixtures list"}),
				say("c", []string{"ok coach", "will do"}, []string{"yes coach", "ok"}),
			}},
		{name: "tutor-homework", label: "safe", banks: both,
			members: func(r *rand.Rand) []member {
				a := adult(r, "a", 24, 60, false)
				a.ContactOrigin = "adult_requested"
				return []member{a, minor(r, "c", 11, 16, false)}
			}, style: map[string]float64{"a": 0.05, "c": 0.5}, lines: []line{
				say("a", []string{"hi {name}, I'm your new {subject} tutor, your mum gave me this contact", "hello, I'll be tutoring you in {subject} from {day}"},
					[]string{"hi, your parents booked me for {subject} lessons", "hello {name}, I'm the tutor your dad mentioned"}),
				say("c", []string{"hi", "ok hi"}, []string{"hello", "hi miss"}),
				say("a", []string{"please send me a photo of your last test so I can see where to start", "send me a picture of the worksheet you're stuck on"},
					[]string{"could you take a photo of your homework sheet", "send a pic of the question you're stuck on"}),
				image("c"),
				say("a", []string{"thanks, see you {day} with your mum", "great, I'll see you at the library {day}"},
					[]string{"thank you, your dad will bring you {day}", "lovely, lesson at {time} on {day}"}),
			}},

		// --- held-out only hard negatives ---
		{name: "sibling-secret", label: "safe", banks: heldoutOnly,
			members: func(r *rand.Rand) []member {
				return []member{adult(r, "a", 18, 24, true), minor(r, "c", 10, 16, true)}
			}, style: map[string]float64{"a": 0.6, "c": 0.7}, lines: []line{
				say("a", nil, []string{"don't tell mum I ate the last of the cake lol", "keep it quiet that I borrowed dad's charger"}),
				say("c", nil, []string{"only if you give me a fiver", "haha ok"}),
				say("a", nil, []string{"deal, I'll send you a fiver", "fine I'll get you a chocolate bar"}),
			}},
		{name: "teacher-project", label: "safe", banks: heldoutOnly,
			members: func(r *rand.Rand) []member {
				return []member{adult(r, "a", 25, 60, true), minor(r, "c", 11, 15, true), minor(r, "d", 11, 15, true)}
			}, style: map[string]float64{"a": 0.0, "c": 0.6, "d": 0.6}, lines: []line{
				say("a", nil, []string{"Class: please upload a photo of your science project by Friday", "Everyone, send a picture of your model to the class page"}),
				say("c", nil, []string{"ok miss", "can it be a video?"}),
				say("a", nil, []string{"Yes, a short video of the project is fine", "Photos of the finished model only please"}),
				say("d", nil, []string{"will do", "done"}),
			}},
		{name: "family-app", label: "safe", banks: heldoutOnly,
			members: func(r *rand.Rand) []member {
				return []member{adult(r, "a", 30, 70, true), minor(r, "c", 12, 17, true)}
			}, style: family, lines: []line{
				say("a", nil, []string{"the family group is on whatsapp now, your mum will add you", "add me on whatsapp, the whole family is there"}),
				say("c", nil, []string{"ok", "ok will do"}),
				say("a", nil, []string{"send me a photo from the holiday when you can", "I'll send the wedding photos to the family group"}),
			}},
		{name: "teen-game-trade", label: "safe", banks: heldoutOnly,
			members: func(r *rand.Rand) []member {
				return []member{minor(r, "c", 12, 16, true), minor(r, "d", 12, 16, true)}
			}, style: teens, lines: []line{
				say("c", nil, []string{"pay me 500 vbucks for the skin", "ill give you robux for your account"}),
				say("d", nil, []string{"no way lol", "ok deal"}),
				say("c", nil, []string{"send a pic of your inventory", "show me the skins first"}),
			}},
	}
}
