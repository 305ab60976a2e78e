//go:build ignore

package main

import "math/rand"

// Support: a young person tells a friend or a trusted adult about something
// worrying, and is helped. v is the young person.

var (
	friendSupport = c("friends", func(r *rand.Rand) map[string]castMember {
		a := between(r, 12, 16)
		return map[string]castMember{"v": young(r, a, a), "f": young(r, a, a)}
	})
	siblingSupport = c("family", func(r *rand.Rand) map[string]castMember {
		return map[string]castMember{"v": young(r, 11, 14), "s": young(r, 16, 17)}
	})
)

func init() {
	add("disclose_to_friend_pic_requests", "support", 6, friendSupport,
		S(`v: can i tell u something weird
f: course whats up`,
			`v: u awake?
f: yeah why`,
			`v: i need to tell someone something
f: im here`),
		S(`v: this guy i met on {game} keeps asking me for pics and saying not to tell anyone
f: wait what?? how old is he
v: he says 15 but idk`,
			`v: someone i dont know keeps messaging me to go on cam and its making me feel sick
f: thats not ok at all`,
			`v: an older lad keeps telling me im mature for my age and wants photos
f: thats literally what they warned us about in PSHE`),
		S(`f: u need to tell ur mum or a teacher
v: i'll get in trouble
f: no u wont, u havent done anything wrong`,
			`f: screenshot it and block him
v: ok
f: and u can report it to CEOP, theres a button`,
			`f: please tell someone. i'll come with u to see miss tomorrow
v: ok. thank u`),
		S(`v: ok ill tell mum tonight
f: proud of u ❤️`,
			`v: ive blocked him
f: good. text me after u talk to ur mum`,
			`v: ur right
f: always here for u`))

	add("disclose_to_parent_sextortion", "support", 6, parentChild,
		S(`v: mum can we talk. please dont be angry
p: of course sweetheart, what's happened?`,
			`v: dad im really scared
p: I'm here. Tell me what's going on`,
			`v: i did something stupid and i dont know what to do
p: Whatever it is we'll sort it together`),
		S(`v: someone online has pics of me and says he'll send them to everyone unless i pay
p: Thank you for telling me. You're not in trouble.`,
			`v: a person is threatening to post photos i sent unless i send money
p: Okay. You did the right thing coming to me.`,
			`v: i sent pics to someone i thought was my age and now they want {amt}
p: Listen to me, this is not your fault.`),
		S(`p: Don't pay and don't reply to them. We'll screenshot everything and report it to CEOP
v: will they post them
p: We'll also use Report Remove with Childline to get them taken down`,
			`p: Don't delete anything yet, we need it for the police. Then we block
v: ok
p: I'm calling 101 now`,
			`p: We're going to report it together and block them. You don't need to deal with this alone
v: im so sorry`),
		S(`p: I love you. Nothing changes that
v: love u too`,
			`v: thank u for not shouting
p: Never for this. Come here x`,
			`p: We'll tell school's safeguarding lead too so they can help
v: ok`))

	add("friend_urges_childline", "support", 6, friendSupport,
		S(`v: my uncle keeps saying our chats are a secret and to delete them
f: thats so weird`,
			`v: my coach messages me late at night and says not to tell my parents
f: wait seriously?`,
			`v: theres this man who wants to meet me on my own and said he'd pay for the train
f: {v} no`),
		S(`v: it makes me feel really uncomfortable
f: thats ur gut telling u something is wrong`,
			`v: im scared if i say something no one will believe me
f: i believe u`,
			`v: i dont want him to get in trouble
f: its not ur fault whatever happens`),
		S(`f: u can ring Childline on 0800 1111, its free and they dont tell anyone unless ur in danger
v: really?`,
			`f: theres Childline online too, u can chat instead of calling
v: i'd rather type`,
			`f: tell ur mum or miss at school, or Childline if thats easier
v: ok`),
		S(`v: ill do it tonight
f: ❤️ let me know how it goes`,
			`v: will u stay with me while i do it
f: course`,
			`v: thank u for listening
f: always`))

	add("trusted_adult_helps", "support", 6, trustedAdult,
		S(`v: miss can i talk to u about something
a: Of course. Would you like to come to my room at break, or talk here?`,
			`v: sir someone online is asking me weird stuff
a: Thank you for telling me. Are you safe right now?`,
			`v: i dont know who else to tell
a: I'm really glad you've come to me.`),
		S(`v: someone i met on {game} wants me to move to {app} and keep it secret
a: That's a warning sign, and you were right to flag it.`,
			`v: an adult keeps sending me money and says i owe him
a: That isn't okay and it isn't your fault.`,
			`v: this person says theyre {age} but they want to meet me alone
a: Thank you. We need to make sure you're safe.`),
		S(`a: I'll need to share this with our safeguarding lead so we can help. I won't share it with other pupils.
v: will my parents find out
a: We'll talk about that together first`,
			`a: Please don't delete the messages, we may need them. Can you show me?
v: ok`,
			`a: We're going to report this to CEOP together and I'll stay with you
v: ok thank u`),
		S(`v: thank u
a: You did the right thing.`,
			`a: Come and find me anytime
v: i will`,
			`v: i feel a bit better
a: Good. We'll check in tomorrow`))

	add("sibling_helps_block_report", "support", 6, siblingSupport,
		S(`v: can u come to my room
s: whats up`,
			`v: i need help with something dont tell mum yet
s: ok whats going on`,
			`v: u know how to block people right
s: yeah why`),
		S(`v: this person says they'll share my pics with my school if i dont send more
s: ok dont panic. ur not in trouble`,
			`v: some guy keeps telling me to delete our chats and i dont like it
s: thats dodgy, show me`,
			`v: someone i thought was 14 is actually way older and wants me to call on cam
s: ok we're sorting this now`),
		S(`s: dont reply. screenshot it, then we block and report
v: ok`,
			`s: we should tell mum, she wont be mad i promise
v: will u come with me`,
			`s: im reporting it on here and to CEOP with u
v: thank u`),
		S(`s: u did the right thing telling me
v: 😭 ok`,
			`v: ur the best
s: obviously 😂 come on lets go tell mum`,
			`s: ill stay with u till mums home
v: ok`))

	add("disclose_meet_request_to_parent", "support", 6, parentChild,
		S(`v: mum someone on {game} asked me to meet them at {place}
p: Thank you for telling me. Who is it?`,
			`v: dad a man messaged me saying he'd pay my bus fare to meet him
p: I'm really glad you told me.`,
			`v: someone says they're my age but they want to meet just us and not tell u
p: That's a big red flag, love.`),
		S(`v: is it bad
p: It's not your fault at all. But we won't be meeting them`,
			`v: he said not to tell anyone
p: People who are safe don't ask you to keep secrets from us`,
			`v: i didnt reply
p: Good. Let's look at it together`),
		S(`p: We'll block and report them, and I'll save the messages
v: ok`,
			`p: I'm going to report it to CEOP now
v: ok can i watch`,
			`p: Let's tell the school too
v: ok`),
		S(`v: thanks mum
p: Always tell me, whatever it is x`,
			`p: Proud of you
v: 😊`,
			`v: love u
p: Love you more`))
}
