//go:build ignore

package main

var sxOpen = S(
	`o: u there
v: yeah`,
	`o: hey
v: hi?`,
	`o: {v} answer me
v: what`,
	`v: hey why did u go offline
o: i had to go`,
	`o: we need to talk
v: about what`,
	`o: u ignoring me now?
v: no i was at school`,
)

var sxPlead = S(
	`v: please dont
v: im begging u
o: then do what i say`,
	`v: please delete them
o: not till u do it`,
	`v: i dont have that much
o: thats not my problem. find it`,
	`v: i'll tell the police
o: go on then. they'll see the pics too`,
	`v: why are u doing this
o: u should have thought before u sent them`,
	`v: please i'll do anything
o: good. u know what to do`,
	`v: i cant breathe im so scared
o: stop crying and do it`,
)

var sxTick = S(
	`o: {cd} left
v: please wait
o: tick tock`,
	`o: times running out {v}
o: ive got ur school account open right now`,
	`o: last chance
v: ok ok im trying`,
	`o: im not joking. {cd}
v: please give me more time`,
	`o: clock is ticking ⏰
v: stop`,
	`o: u have {cd}. then it goes out
v: ok`,
)

func init() {
	add("sextortion_more_images", "risk", 13, sextortion,
		sxOpen,
		R(`o: i saved the pics u sent. send more or i post them everywhere
v: what?? u said u deleted them`,
			`o: i still have ur photos. if u dont send new ones today everyone sees them
v: no please`,
			`o: send 3 more pics or the ones i have go on ur school page
v: i thought we were friends`,
			`o: remember those pics? i screenshotted them. u'll send more or i share them
v: please no`,
			`o: go on cam now or i send what i have to ur friends
v: please dont do this`,
			`o: u dont get to stop now. more pics or ur whole year sees the old ones
v: i said no more`),
		sxPlead, sxTick,
		S(`v: ok
o: good. and dont tell anyone`,
			`v: i'll send it just please delete them after
o: maybe`,
			`v: im blocking u
o: block me and they go out straight away`,
			`v: fine
o: thats what i thought`))

	add("sextortion_money_countdown", "risk", 13, sextortion,
		sxOpen,
		R(`o: pay me {amt} or i send ur pics to everyone u know
v: i dont have money`,
			`o: send {amt} on paypal in the next {cd} or ur photos go public
v: please i'm only {age}`,
			`o: i want {amt} in gift cards. u have {cd}
v: what do u mean`,
			`o: u've got {cd} to send {amt} or i post the pics
v: i cant get that much`,
			`o: {amt} by tonight or the pics go to ur mum
v: no please dont`,
			`o: buy me a {amt} steam card and send the code or i leak ur photos
v: i cant`),
		sxPlead, sxTick,
		S(`v: i only have £20 in my account
o: send it now then and the rest tomorrow`,
			`v: ok i'll try and get it
o: dont make me wait`,
			`v: if i pay will u delete them
o: pay first`,
			`v: i'll use my birthday money
o: hurry up`))

	add("sextortion_threat_contacts", "risk", 13, sextortion,
		sxOpen,
		R(`o: ive got a list of all ur followers. send what i asked or they all get the pics
v: how have u got that`,
			`o: i found ur mums facebook. want me to send her the photos?
v: NO please`,
			`o: i know what school u go to. i'll send the pics to ur head of year
v: how do u know my school`,
			`o: ur sister is on here too isnt she. shall i show her?
v: leave her out of it`,
			`o: i'll put ur pics in ur class group chat. i'm in it with a fake account
v: ur lying`,
			`o: ur dad's number is on ur profile. he'll get everything unless u pay
v: please dont send it to him`,
			`o: i've made a group with all ur friends in. one click and they see everything
v: please no`),
		sxPlead, sxTick,
		S(`v: ok what do u want
o: u know what i want`,
			`v: i'll get the money
o: {amt}. tonight`,
			`+o: look
v: please delete that group`,
			`v: fine ill do it
o: and if u tell anyone i send it anyway`))

	add("victim_reveals_sextortion", "risk", 13, sextortion,
		R(`v: please delete the pics
o: why would i`,
			`v: i sent the money now please leave me alone
o: not enough`,
			`v: ive paid u {amt} already please stop
o: i want more`,
			`v: u said u would delete them if i paid
o: i changed my mind`,
			`v: please dont show my mum the photos
o: depends on u`,
			`v: i did what u asked, please dont post them
o: we'll see`,
			`v: i cant send any more please just delete everything
o: u'll send more if u want them deleted`),
		S(`v: i dont have any more money
o: ask ur parents`,
			`v: please im only {age}
o: not my problem`,
			`v: im scared
o: u should be`,
			`v: how do i know u'll delete them
o: u dont`),
		sxTick,
		S(`v: ok
o: good`,
			`v: i'll try
o: dont try. do it`,
			`v: please
o: {cd}`))

	// Conversations in which several signs build up over time.
	add("grooming_arc", "risk", 13, knownOffender,
		openers,
		R(`o: ur honestly so mature for ur age
v: aw thanks`,
			`o: ur parents dont get u like i do
v: no they dont`,
			`o: u can tell me anything u know. not like ur parents
v: yeah`),
		filler,
		S(`o: keep our chats to urself yeah
v: ok`,
			`o: lets talk on {app} instead
v: ok`,
			`o: remember to delete this after
v: i will`),
		S(`o: i got u {gift} btw
v: omg thank u`,
			`o: send us a pic later 😊
v: maybe`,
			`o: we should meet up one day, just us
v: maybe`),
		closers)
}
