//go:build ignore

package main

// Hand-written pieces of risk conversations. In each piece, "o" is the
// offender and "v" the young person; a line starting "!" is the first sign of
// the behaviour in a signal piece, "+" marks a message carrying an image.

var baseOpeners = S(
	`o: hey {v} how was school
v: boring lol
o: haha same old. what u up to now
v: just on my phone in my room`,
	`o: u on {game} later?
v: maybe after tea
o: sound we need a 3rd
v: ok ill msg when im on`,
	`o: hiya 😊 you ok? you seemed quiet earlier
v: yeah just tired
o: long week?
v: mocks next week and im stressing`,
	`o: morning sleepyhead
v: its sunday leave me alone 😂
o: haha fair. any plans today
v: nah prob just chilling`,
	`o: gg earlier that last round was mad
v: ikr i nearly had it
o: ur actually decent for real
v: thanks lol`,
	`o: did u get home ok
v: yeah mum picked me up
o: good good
v: why`,
	`o: what u watching atm
v: rewatching stranger things
o: no way thats my fav
v: season 2 is the best`,
	`o: hows the new school going {v}
v: its ok i guess. still dont really know anyone
o: it takes time, first term is always weird
v: yeah`,
	`v: hiya sorry i was at netball
o: no worries! how did u do
v: we lost 14-9 🙄
o: unlucky, next time`,
	`o: yo
v: hey
o: wyd
v: homework. well pretending to`,
	`o: happy friday!! 🎉
v: finally
o: any plans for the weekend
v: nope. mum is working so im home`,
	`o: did u see that tiktok i sent
v: yeah 😂😂 so random
o: thought of u straight away
v: lol why`,
	`o: how was training
v: knackered
o: u were class tonight tbh
v: aw thanks`,
	`o: gg on {game} last night {v}
v: oh yeah lol
o: that skin u had is sick
v: haha thanks`,
)

var filler = S(
	`o: anyway how was ur day
v: alright. double maths 🙄`,
	`o: what did u have for tea
v: pasta again
o: lol classic`,
	`v: brb mum is shouting
o: np
v: back`,
	`o: u still there?
v: yeah sorry was on tiktok`,
	`v: my brother is so annoying
o: haha whats he done now
v: ate my last crisps`,
	`o: did u finish that science thing
v: nearly. its so long`,
	`v: cant wait for half term
o: same. going anywhere?
v: nah just nans`,
	`o: lol ur funny
v: haha i try`,
)

var closers = S(
	`v: ok
o: good. speak later x`,
	`v: fine
o: thats my {v} 😊`,
	`v: ok i gtg
o: ttyl`,
	`v: 👍
o: night x`,
	`v: idk
o: trust me`,
	`v: alright
o: perfect. msg me later`,
)

func init() {
	add("secrecy_from_parents", "risk", 13, anyOffender,
		openers, filler,
		R(`o: dont tell ur mum we talk ok
v: why not
o: she just wouldnt get it. its our thing`,
			`o: btw keep this between us yeah? parents always overreact
v: ok
o: promise?
v: promise`,
			`o: ur dad doesnt need to know about our chats
v: he doesnt check my phone anyway
o: good. lets keep it that way`,
			`o: if ur mum asks who ur texting just say no one
v: why would she ask
o: just in case. she might stop u talking to me`,
			`o: this is just between me and you ok? not ur parents not anyone
v: ok lol
o: im serious {v}`,
			`o: you havent told ur mum about me have u
v: no
o: good. keep it like that
v: ok`,
			`o: adults would twist it and make it weird so dont mention me at home yeah
v: i wasnt going to
o: knew i could trust u`,
			`o: ur carers dont need to see these messages
v: they dont really look
o: still. be careful`),
		S(`v: why tho
o: cos they'd stop us talking and u dont want that do u
v: no`,
			`o: it'd be ruined if they knew. our secret
v: ok our secret`,
			`v: is it bad that we talk
o: no course not but they wouldnt understand it like we do`,
			`o: ur old enough to have ur own friends without reporting to them
v: yeah true`),
		closers)

	add("delete_chat", "risk", 13, anyOffender,
		openers, filler,
		R(`o: delete this chat after ok
v: why
o: just do it, i dont want ur mum reading it`,
			`o: make sure u clear our messages before u go to bed
v: ok
o: every night yeah
v: ok`,
			`o: have u deleted what i sent earlier
v: not yet
o: do it now pls, i mean it`,
			`o: wipe the chat when we're done, i always do mine
v: why do u always do that
o: safer for both of us`,
			`o: if u screenshot anything delete it straight away
v: i wasnt going to
o: good. and delete this convo too`,
			`o: clear the chat history {v}. ur parents check ur phone dont they
v: sometimes
o: then delete it every time`,
			`o: remember to delete our msgs before school. teachers take phones sometimes
v: ok i will`),
		S(`v: done
o: good. now no one can see`,
			`v: ok deleted it
o: thats my {v}`,
			`v: i forgot yesterday
o: dont forget again. seriously`,
			`v: why does it matter so much
o: people would take it the wrong way thats all`),
		closers)

	add("cover_story", "risk", 13, anyOffender,
		openers,
		R(`o: if ur mum asks who i am say im a girl from ur form
v: lol ok
o: say my name is Ellie`,
			`o: tell them ur at a mates on saturday
v: which mate
o: any of them. just not me`,
			`o: if anyone asks im ur friends older sister ok
v: why
o: easier than explaining`,
			`o: just say ur going to the library and ill meet u there
v: i dont really go to the library
o: they wont know that`,
			`o: save me in ur phone as "Jess {yr}"
v: haha why
o: so if ur mum sees it looks normal`,
			`o: say ur sleeping at Amy's, she'll cover for u
v: she doesnt even know u
o: she doesnt need to`,
			`o: if ur dad asks say im from ur football team
v: he knows everyone on the team tho
o: then say its a new lad`),
		S(`v: ok i guess
o: its just easier that way`,
			`v: i dont like lying to mum
o: its not lying its just not telling everything`,
			`v: what if they find out
o: they wont if u stick to it`),
		filler, closers)

	add("isolation", "risk", 13, anyOffender,
		openers,
		R(`o: ur friends dont really get u like i do
v: they're ok
o: are they tho? they left u out again`,
			`o: im the only one who actually understands u
v: maybe
o: ur family just shout at u`,
			`o: honestly u dont need them. u have me
v: i know
o: they'll only let u down`,
			`o: ur mum doesnt listen to u does she
v: not really
o: i always will. u can tell me anything, not them`,
			`o: why do u even hang round with those girls, they talk about u behind ur back
v: how do u know
o: i just know. trust me over them`,
			`o: dont bother telling ur teachers stuff, they dont care. i do
v: yeah
o: only me`,
			`o: u should stop going to that youth club, they're a bad influence
v: but my mates go
o: they're not real mates. i am`),
		filler,
		S(`v: ur right
o: i always am 😊 just talk to me from now on`,
			`v: i feel like no one else cares
o: i care. thats all that matters`,
			`v: maybe i wont go tomorrow
o: good. stay in and we can talk all night`,
			`v: mum says im always on my phone
o: see she just wants to control u`),
		closers)

	add("move_platform", "risk", 13, anyOffender,
		openers, filler,
		R(`o: add me on {app} its better there
v: i dont have it
o: download it, takes a sec. ill send my username`,
			`o: make a second account just for me
v: why
o: so ur mum doesnt see it on ur main`,
			`o: u got an old phone? use that to talk to me
v: my old one is in the drawer
o: perfect. charge it and keep it in ur room`,
			`o: turn on disappearing messages
v: how
o: tap my name and set it to 24 hours. safer`,
			`o: lets move to {app}, its encrypted so no one can read it
v: ok whats ur name on it
o: ill dm u it. dont tell anyone we use it`,
			`o: this app is too public. msg me on {app} instead
v: is it safe
o: safer than here. nobody can see anything`,
			`o: make a private account with a fake name and add me
v: like a spam account?
o: yeah exactly. dont follow anyone from school on it`,
			`o: set our chat to vanish after each message
v: ok done
o: good now there's no trace`),
		S(`v: ok ive got it
o: great. delete this chat now we've moved`,
			`v: ok
o: and dont tell anyone about it yeah`,
			`v: what if my mum checks my phone
o: she wont find anything, thats the point`,
			`v: fine ill set it up later
o: do it tonight`),
		closers)

	add("meet_alone", "risk", 13, anyOffender,
		openers, filler,
		R(`o: we should meet up, just us two
v: where
o: {place} saturday? dont bring anyone`,
			`o: i'll pay for ur train ticket, come see me
v: i've never been on a train on my own
o: its easy i'll send u the money for it`,
			`o: i can pick u up round the corner from ur house so ur mum doesnt see
v: when
o: after school tomorrow`,
			`o: come to mine after school, no one else will be home
v: idk
o: itll be fun i promise`,
			`o: ill send u {amt} for an uber, meet me at {place}
v: on my own?
o: yeah just u`,
			`o: i really want to meet u properly. just us, no mates
v: can i bring my friend
o: no just u. its special`,
			`o: lets meet at {place} on sunday. say ur going swimming
v: what time
o: 2. come alone yeah`,
			`o: im gonna be in ur area friday. meet me? alone
v: maybe
o: ill buy u food and stuff`),
		S(`v: i dont know if im allowed
o: u dont need to ask, ur old enough`,
			`v: ok what time
o: ill message u the details on the day`,
			`v: what if mum finds out
o: she wont if u dont tell her`,
			`v: ok
o: cant wait to see u 😊`),
		closers)

	add("gifts_with_strings", "risk", 13, anyOffender,
		openers, filler,
		R(`o: i got u something 🎁 {gift}
v: omg really?? why
o: cos ur special. but u owe me one now`,
			`o: ive sent u {amt}, check ur account
v: wait what why
o: just a gift. now u can do something for me`,
			`o: want {gift}? i can get it for u
v: deffo lol
o: ok but u have to do what i ask`,
			`o: i topped up ur phone
v: thank u so much
o: least u can do is send me a pic back`,
			`+o: look what i got u 🎁 its {gift}
v: no wayyy
o: u can have it when we meet. dont tell ur mum where its from`,
			`o: ive bought u {gift}, i'll give it u when we meet
v: thats so nice
o: its our secret tho. dont tell ur mum where it came from`,
			`o: i'll buy u {gift} if u keep being nice to me
v: what do u mean nice
o: u know. dont ignore me, do what i say`,
			`o: ive been sending u money every week, dont u think u owe me something
v: i didnt ask for it
o: but u took it`),
		S(`v: ok what do u want
o: just a little favour. i'll tell u later`,
			`v: i dont want it anymore
o: too late its already paid for`,
			`v: ok
o: knew u would 😊`,
			`v: what if mum asks where it came from
o: say u saved up`),
		closers)

	add("maturity_flattery", "risk", 13, anyOffender,
		openers,
		R(`o: how old are u anyway
v: {age}
!o: no way, u seem way older. ur so mature for {age}`,
			`v: im only in {yr} lol
!o: honestly u act older than most girls my age`,
			`o: what year are u in
v: {yr}
!o: really? ur way more mature than that. u get me like an adult does`,
			`v: im {age} btw
!o: age is just a number. u talk like someone much older`,
			`o: wait ur {age}?
v: yeah why
!o: u dont act it at all. ur not like other kids ur age`,
			`v: i turn {age} next month
!o: ur so grown up tho. people our age would love u`,
			`o: how old did u say u were
v: {age}
!o: mature for ur age. thats why we get on so well`),
		filler,
		S(`o: ur friends must seem so childish to u
v: sometimes lol`,
			`o: people like us are rare. most kids are so immature
v: haha`,
			`o: i dont usually talk to people ur age but ur different
v: really?
o: yeah ur special`,
			`o: i bet ur parents treat u like a baby still
v: they do tbh`),
		closers)

	add("adult_posing_as_child", "risk", 13, fakeTeen,
		R(`o: heyy saw u on the {game} server, im {oage} too
v: oh hey
o: what school u go to`,
			`o: hiii, ur in {yr} right? me too but different school
v: yeah who r u
o: {o}, im {oage} lol`,
			`o: hey ur friends with maddie right? im {oage}, from the next town
v: yeah kinda
o: cool i never get to talk to new people`,
			`o: sorry random msg but u seem cool. im a {oage} yr old girl 🙂
v: hi
o: wanna be friends?`,
			`o: hey im {oage} and bored lol wanna chat
v: sure
o: whats ur fav subject`),
		S(`v: wait r u actually {oage}
o: yeah why would i lie lol`,
			`v: ur profile pic looks older
o: its an old filter thing, im defo {oage}`,
			`v: ur texting like my dad 😂
o: lol my older brother says that too`,
			`v: what year r u in then
o: same as u lol`,
			`v: can u send a voice note
o: my mic is broken sorry. maybe another time`,
			`v: send a pic then so i know ur real
+o: there. thats me at my nans lol
v: oh ok`,
			`+o: thats me and my mates at school lol
v: which one is u
o: middle one`),
		filler,
		S(`o: ur really easy to talk to
v: so r u`,
			`o: lets keep chatting, u can tell me anything
v: ok`,
			`o: ive got no one else to talk to really
v: aw`),
		closers)

	add("picture_request", "risk", 13, anyOffender,
		openers, filler,
		R(`o: send me a pic of u 😊
v: why
o: just want to see u. only for me`,
			`o: turn ur camera on for me
v: now? im in my room
o: yeah no one else will see`,
			`o: can we video call, just us
v: my mum is downstairs
o: go somewhere she cant hear`,
			`o: u never send me photos
v: i dont really take them
o: take one now then. dont use a filter`,
			`!+o: sent u one of me, now its ur turn
v: i dont know
o: its only fair {v}`,
			`o: i sent u mine, now its ur turn
v: i dont know
o: its only fair {v}`,
			`o: go live for me on cam tonight
v: idk
o: just for 5 mins. ill delete the call history after`,
			`o: send me the pics u promised
v: i didnt promise
o: u did yesterday`,
			`o: take a selfie right now, i want to see what ur doing
v: lol nothing
o: then show me`),
		S(`v: i dont feel comfortable
o: dont be boring. everyone does it`,
			`v: ok one sec
+v: there
o: more 😊`,
			`v: maybe later
o: no now, before ur mum comes up`,
			`v: promise u wont show anyone
o: course not. trust me`,
			`v: why do u want it
o: cos i like u thats all`),
		closers)
}
