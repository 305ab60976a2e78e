//go:build ignore

package main

// Hard negatives: conversations that share words or shapes with grooming
// but show no risk. Roles: p and q parents, v the young person, a another
// trusted adult, f and g friends, s a sibling.

func init() {
	add("family_meeting_logistics", "safe", 5, parentChild,
		S(`p: meet me outside {place} at 5, dont be late
v: ok can i get a hot choc
p: if ur on time 😂`,
			`p: change of plan, i'll pick u up from {place} not school
v: what time
p: half 4. wait inside if its raining`,
			`v: mum where r u
p: stuck in traffic on the ring road, 10 mins
v: ok im by the bus stop`),
		S(`v: can maya come back for tea
p: ask her mum first then yes`,
			`p: have u got ur key
v: yeah
p: good, ill be back by 6`,
			`v: dad is late again
p: ive rung him, hes on his way`),
		S(`p: love u, see u soon x
v: ok x`,
			`v: 👍
p: text me when ur there`,
			`v: can we get chippy on the way home
p: go on then`))

	add("parent_asks_project_photos", "safe", 5, parentChild,
		S(`p: can u send me pics of ur volcano project so i can print them for ur teacher
v: which ones
p: the ones from the kitchen table`,
			`p: send me the photos of ur art homework, nan wants to see
v: ok hold on`,
			`p: did u take photos of the bridge model for the DT display?
v: yeah loads
p: send me a couple and ill email them to school`),
		S(`+v: here
+v: and this one
p: brilliant, well done`,
			`+v: this one is the best one
p: love it, the colours are great`,
			`v: they're a bit blurry
+v: sent
p: that'll do fine`),
		S(`p: ill print them at work tomorrow
v: thanks mum`,
			`v: can u print 2 copies
p: will do`,
			`p: so proud of u x
v: 😊`))

	add("teacher_trip_class_group", "safe", 5, classGroup,
		S(`a: Reminder for parents: the {yr} trip to the Science Museum is on Thursday. Coach leaves at 7:45 sharp.
p: Thanks, what time will they be back?
a: Around 5:30pm at the school gates.`,
			`a: Hi all, the residential kit list is attached. Please label everything with your child's name.
q: Is a sleeping bag needed or are they provided?
a: Please bring one, the centre doesn't provide them.`,
			`a: Good morning parents. Permission slips for the Chester Zoo trip are due Friday please.
p: Can we pay the £12 on ParentPay?
a: Yes, it's live on ParentPay now.`),
		S(`q: Can they bring a phone?
a: Phones are allowed on the coach but will be collected during the visit.
p: Makes sense`,
			`v: sir can we sit with who we want on the coach
a: Within reason! I'll sort a plan tomorrow in form.`,
			`p: My son has an inhaler, who should I give it to?
a: Hand it to me at drop-off and I'll keep it in the first aid bag.`),
		S(`a: Any questions message here or ring the office. Thanks!
q: Thank you 👍`,
			`p: Thanks sir
a: No problem, see you Thursday.`,
			`a: Photos from the day will go on the school website for those with consent.
q: Lovely, thanks`))

	add("tutor_with_parent", "safe", 5, adultAndParent("tutoring", tutors),
		S(`a: Hi, just confirming maths tuition Tuesday 4:30 as usual?
p: Yes please. Can we do 5 this week, she has choir
a: 5 is fine`,
			`p: Hi, how's he getting on with the 11+ practice?
a: Really well, his reasoning is much stronger. Can you remind him to finish paper 3?
p: Will do`,
			`a: Hello, I've set some GCSE English homework. Could you check it's done before Thursday?
p: Of course, thanks`),
		S(`a: I'll send the worksheet to you to print
p: Great, send it here`,
			`p: How much do I owe for this month?
a: £120 for the four sessions, bank details as before`,
			`a: She said she struggles with fractions, shall we spend next session on that?
p: Yes, that's her weak spot`),
		S(`p: Thanks so much
a: No problem, see you Tuesday`,
			`a: Have a good weekend
p: You too`,
			`p: Paid 👍
a: Received, thank you`))

	add("employer_shifts_16yo", "safe", 5, employer,
		S(`a: Hi {v}, can you cover Saturday 9-2 at the cafe?
v: yeah i can do that
a: Great, I'll put you on the rota`,
			`a: Rota for next week is up in the staff group. You're on Sunday 10-4.
v: ok thanks. can i swap sunday with jade
a: If she agrees, fine by me`,
			`v: hiya sorry i'm gonna be 10 mins late, bus didnt come
a: No worries, thanks for letting me know`),
		S(`a: Remember your food hygiene certificate, we need a copy for the file
v: ill bring it in`,
			`a: Your payslip is in your email. Let me know if the hours look wrong.
v: they look right thanks`,
			`v: can i have the 21st off, its my mums birthday
a: Yes that's fine, I'll note it`),
		S(`a: Thanks {v}, you're doing great
v: thanks!`,
			`v: see u saturday
a: See you then`,
			`a: Any problems, ring the shop landline
v: will do`))

	add("coach_pickup_parent_in_chat", "safe", 5, adultWithParent("club", coaches),
		S(`a: Hi both, training finishes at 7 tonight. Who's collecting {v}?
p: I'll be there, might be 5 mins late
a: No problem, I'll wait with him at reception`,
			`p: Can you drop {v} home after the match? My car's in the garage
a: Yes happy to, I'm dropping two others on the same road anyway
v: yesss`,
			`a: Tournament Saturday, minibus leaves the club 8am. Parents welcome to follow in cars.
p: We'll drive up ourselves, see you there`),
		S(`v: do i need my shin pads
a: Always! and a water bottle`,
			`p: Does he need money for food?
a: Bring a packed lunch, there's a snack bar too`,
			`v: can i bring my mate to try out
a: Course, ask his mum or dad to message me first`),
		S(`p: Thanks coach
a: No worries`,
			`a: Well played today {v}
v: thanks coach
p: He's buzzing 😊`,
			`p: Dropped off, thanks
a: 👍`))

	add("siblings_surprise_party_secret", "safe", 5, siblingsOnly,
		S(`s: dont tell mum about the party ok its a surprise
v: i wont!! when is it
s: saturday at auntie lou's`,
			`s: shhh its a secret. we're doing a surprise for dads 50th
v: omg what are we doing
s: party at the cricket club`,
			`v: does mum know about the surprise yet
s: NO and dont u dare tell her 😂`),
		S(`s: delete this chat after, she reads ur phone
v: lol ok
s: im serious she'll find out`,
			`v: what do i say if she asks where we're going
s: say we're going to the cinema`,
			`s: can u keep her busy on saturday morning
v: i'll ask her to take me to town`),
		S(`v: i can't wait 🥳
s: me neither, she's gonna cry`,
			`s: chip in £5 for the cake?
v: ok ill give u it later`,
			`v: should we get balloons
s: already ordered them`))

	add("friends_sleepover_planning", "safe", 5, friendGroup,
		S(`f: sleepover at mine friday?? mum said yes
v: yesss
g: im in`,
			`v: can we do the sleepover at urs this time
f: yeah mum says fine, just bring a sleeping bag
g: whats the plan`,
			`g: who's coming saturday
f: me u and {v}
v: and we're watching the new film`),
		S(`v: my mum wants ur mums number
f: ill send it, she'll text her`,
			`g: do i bring pjs or we staying up all night lol
v: all night obviously 😂`,
			`f: dont tell priya, she'll be upset she cant come
v: ok we wont say anything`),
		S(`f: bring snacks!!
v: haribo sorted`,
			`g: my dad can drop us at 6
f: perfect`,
			`v: cant wait
f: 🎉🎉`))

	add("gaming_squad", "safe", 5, friendGroup,
		S(`f: squad on {game} at 7?
v: yeah after tea
g: im on now lol`,
			`v: anyone on {game}
f: in a min
g: me`,
			`g: that last game was mad 😂
f: {v} carried us`),
		S(`f: lets all go on discord instead its easier to talk
v: ok my mum set it up for me last week
g: same server as before`,
			`v: my headset is broken so ill just type
f: np`,
			`g: new season drops tonight
v: cant stay up late its a school night`),
		S(`v: gtg mum says off at 9
f: same, gg`,
			`f: gg lads
g: gg`,
			`g: same time tomorrow?
v: yeah`))

	add("grandparent_birthday_money", "safe", 5, grandparent,
		S(`a: Happy birthday darling! I've sent £20 into your bank for your birthday. Love Nan x
v: thank u nan!! ❤️`,
			`a: Happy 13th birthday! Grandad and I have put a little something in your card, it's in the post
v: thank u so much`,
			`a: I've transferred some birthday money to your mum for you, treat yourself
v: thanks nan love u`),
		S(`a: What will you spend it on?
v: probably a new game
a: Don't spend it all at once!`,
			`v: can u come for tea on sunday
a: We'd love to, I'll ring your mum`,
			`a: How's school?
v: good! i got a merit in maths
a: Clever clogs`),
		S(`a: Lots of love x
v: love u too`,
			`v: 😘
a: Big hugs`,
			`a: Don't forget to say thank you to Auntie too
v: i will`))

	add("parent_delete_embarrassing_photo", "safe", 5, parentChild,
		S(`p: delete that photo of me asleep on the sofa 😂
v: never
p: {v} i mean it, delete it`,
			`p: please delete the pic of me singing at the wedding
v: its so funny tho
p: it is NOT going on your story`,
			`p: who said you could put that photo of me in the family chat
v: nan loved it 😂
p: delete it now please`),
		S(`v: ok ok deleted
p: and from the group`,
			`v: fine its gone
p: thank u`,
			`v: but its my fave
p: you can keep one copy on your phone but no posting`),
		S(`p: 🙄 cheeky
v: lol love u`,
			`v: ur so dramatic
p: takes after you`,
			`p: tea's ready btw
v: coming`))

	add("teen_crush_secret", "safe", 5, teenPeers,
		S(`v: dont tell anyone but i like jake
f: OMG since when
v: since the trip. keep it secret pls`,
			`f: promise u wont tell anyone what im about to say
v: promise
f: i fancy someone in our form 🙈`,
			`v: u have to keep this a secret
f: what
v: i think sam likes me`),
		S(`f: i wont say a word 🤐
v: seriously not even holly`,
			`v: delete this chat after lol
f: haha ok`,
			`f: do u want me to find out if he likes u back
v: NO dont say anything`),
		S(`v: ok good
f: ur secret is safe`,
			`f: this is so exciting
v: stop 😭`,
			`v: im going bed before i say something else stupid
f: lol night`))

	add("youth_worker_parent_present", "safe", 5, adultWithParent("youth_club", youthWorkers),
		S(`a: Hi {v}, I've added your mum to this chat as we always do. Youth club is back on Tuesday.
p: Thanks so much
v: yay`,
			`a: Hello, just a reminder I only message young people with a parent in the chat. Duke of Edinburgh forms are due Friday.
p: She's filled it in, I'll drop it in`,
			`a: Hi both, the residential meeting is Thursday 6pm at the centre, parents welcome.
p: I'll come along with him`),
		S(`v: do i need to bring anything
a: Just a water bottle and your form`,
			`p: Is there a cost?
a: It's free, funded by the council`,
			`a: If anything is worrying you, you can always talk to me or your mum
v: ok thanks`),
		S(`p: Thanks for everything you do
a: Pleasure, see you Tuesday`,
			`v: see u there
a: 👍`,
			`a: Any questions just ask here
p: Will do`))

	add("online_safety_lesson", "safe", 5, classGroup,
		S(`a: Today's PSHE lesson is about online safety. Warning signs include someone saying "keep this a secret" or "delete our chat".
p: Great topic, thanks for sharing
a: We also covered "don't tell your parents" and moving to another app.`,
			`a: Class summary: if someone online says "you're so mature for your age" or offers gifts, tell a trusted adult.
q: Thanks, we talked about it at tea`,
			`a: This week we looked at sextortion. If anyone ever threatens to share pictures, don't pay, save the evidence and report to CEOP.
p: Really useful, thank you`),
		S(`v: sir we did a role play where someone said "send me a pic" and we practised saying no
a: You did brilliantly`,
			`q: Is there a handout for parents?
a: Yes, the Childline and NSPCC links are on the school website`,
			`p: What do we do if it happens?
a: Screenshot, block, report, and talk to us. Never blame the child.`),
		S(`a: Thanks everyone
p: 👍`,
			`q: Thanks, really helpful
a: You're welcome`,
			`v: can we do the quiz again next week
a: Yes!`))

	add("parent_checks_whereabouts", "safe", 5, parentChild,
		S(`p: are u at bex's now
v: yeah just got here
p: ok text me when u leave`,
			`v: can i stay at a mates tonight
p: which mate
v: holly, her mum said its fine`,
			`p: where r u, u said 6
v: at the park with the girls, walking back now`),
		S(`p: i'll ring her mum to check
v: ok she's expecting u`,
			`p: share ur location pls
v: done`,
			`p: make sure ur home before it gets dark
v: i will`),
		S(`v: 👍
p: love u`,
			`p: have fun x
v: thanks mum`,
			`v: home now
p: good girl x`))

	add("friend_new_phone_number", "safe", 5, friends,
		S(`f: new number, this is {f}! my phone got nicked
v: omg no are u ok
f: yeah just annoying`,
			`f: its me {f}, im on my old phone cos i dropped mine in the bath 😭
v: noooo
f: delete my old number lol`,
			`f: hey got a new phone for my birthday, save this number
v: which one is this
f: {f} from maths`),
		S(`v: how do i know its u
f: i sat next to u in french and u spilled ur water on my book
v: lol ok its u`,
			`v: ill add u back to the group
f: thanks`,
			`f: can u send me the homework, lost all my stuff
v: ill send it in a sec`),
		S(`v: saved 👍
f: ty`,
			`f: see u tomorrow
v: see ya`,
			`v: glad ur ok
f: 😊`))

	add("parent_sends_train_money", "safe", 5, parentChild,
		S(`p: ive sent u £20 for the train to dads
v: thanks
p: text me when ur on it`,
			`v: can u send me money for the bus home
p: sent £5, come straight home
v: ok`,
			`p: ive booked ur train to nan's for saturday, ticket is on the app
v: what time
p: 10:15 from platform 2`),
		S(`p: dad will meet u at the other end
v: ok`,
			`v: the train is delayed
p: ok let me know when it moves, ill tell grandad`,
			`p: sit near the guard if u can
v: ok`),
		S(`v: im here
p: brilliant, have fun x`,
			`p: love u x
v: 👍`,
			`v: got on
p: 👍`))

	add("relative_prom_photos", "safe", 5, parentParentChild,
		S(`q: send us the prom photos!! 😍
p: will do when she's ready
v: muuum`,
			`q: did you get photos from the school play? Grandad wants to see
+p: here's one
v: my eyes are shut in that one 😭`,
			`q: you look so grown up in your leavers pics, where has the time gone
p: I know, I cried
v: stop it`),
		S(`+p: here she is with her friends
q: Gorgeous, all of you`,
			`v: can u not put them on facebook
p: only in this family chat I promise`,
			`q: frame-worthy! Can you print me one?
p: I'll get one done at Boots`),
		S(`q: lots of love to all of you x
p: x`,
			`v: thanks auntie
q: ❤️`,
			`p: she had a lovely night
q: so glad`))

	add("peers_homework_share", "safe", 5, friends,
		S(`f: send me a pic of the maths homework
v: which page
f: the one with the graphs`,
			`v: did u do the english? can u send a photo of the questions
f: yeah hold on`,
			`f: whats the science homework, i wasnt in
v: ill send a pic of the board`),
		S(`+v: there
f: legend`,
			`+f: here
v: ty`,
			`+v: sent
f: cheers`),
		S(`v: dont just copy it tho
f: i wont lol`,
			`f: its due tomorrow right
v: yeah first lesson`,
			`v: u owe me a snack
f: deal`))

	add("friends_meet_in_town", "safe", 5, friendGroup,
		S(`f: meet at {place} at 2?
v: yeah mum says i can go
g: ill get the bus with u {v}`,
			`v: who's going into town saturday
f: me
g: me if my mum says yes`,
			`g: shall we go to the cinema then {place}
f: yes
v: im in`),
		S(`f: dont tell leah, she's been so mean lately
v: lol ok`,
			`v: my mum wants me back by 5
f: same`,
			`g: bring money for food
v: ive got birthday money`),
		S(`f: see u there
v: 👋`,
			`g: on the bus now
f: nearly there`,
			`v: cant wait
g: 🎉`))

	add("secret_present_for_parent", "safe", 5, parentChild,
		S(`p: dont tell mum what we got her for christmas 🤫
v: i wont
p: u always crack`,
			`p: shhh its a secret, we're getting dad a new bike
v: omg he'll love it`,
			`v: dad dont say anything to mum about her present
p: mums the word`),
		S(`p: delete these messages in case she picks up ur phone
v: ok lol`,
			`v: where r we hiding it
p: in the loft`,
			`p: if she asks say we went to get paint
v: ok`),
		S(`v: cant wait to see her face
p: haha me too`,
			`p: good team us
v: 🤝`,
			`v: shes home!! stop texting
p: 😂`))

	add("club_kit_money", "safe", 5, clubGroup,
		S(`a: Hi parents, new kit has arrived. £25 each, payable at training or by bank transfer.
p: Can I pay cash on Wednesday?
a: Yes that's fine.`,
			`a: Reminder: subs for this term are due. £40 please.
q: Sent by transfer 👍
a: Thanks!`,
			`a: Tournament entry is £5 per player, please bring it in an envelope with their name.
p: Will do`),
		S(`v: can i get my name on the back
a: Yes, add £3 for printing`,
			`q: What size should I order for a 12 year old?
a: Most are in a youth large`,
			`p: Is there a sibling discount?
a: Yes, £5 off the second`),
		S(`a: Thanks everyone
p: Thanks coach`,
			`q: 👍`,
			`a: Any questions, message here
v: thanks coach`))

	add("older_sibling_lift", "safe", 5, siblings,
		S(`s: ill pick u up from drama at 6, mum asked me to
v: ok can we get maccies
p: Thanks love, she finishes at 6 sharp`,
			`p: Can you collect your sister from the bus station?
s: yeah what time
v: 5:20`,
			`v: where r u
s: outside in the car park
p: Text me when you're both home`),
		S(`s: wait inside till u see the car
v: ok`,
			`p: Drive carefully
s: always`,
			`v: can we pick up ellie too
s: if her mum is ok with it`),
		S(`s: home
p: thanks both x`,
			`v: thanks for the lift
s: u owe me`,
			`p: 👍`))

	add("school_photo_consent", "safe", 5, adultWithParent("school", teachers),
		S(`a: Hello, could you confirm photo consent for {v} for the school newsletter?
p: Yes that's fine, first name only please`,
			`a: Class photos are on Monday. Please make sure {v} is in full uniform.
p: Thanks for the reminder`,
			`a: We'd like to include {v}'s artwork photo in the exhibition booklet. Is that ok?
p: Of course, she'll be thrilled`),
		S(`v: can i see the photo first
a: Yes I'll show you in class`,
			`p: Can we order extra copies?
a: Yes, the order form comes home next week`,
			`a: We never put surnames alongside images
p: Good to know, thank you`),
		S(`p: Thanks
a: Thank you`,
			`a: Have a lovely weekend
p: You too`,
			`v: thanks miss
a: 😊`))

	add("babysitter_logistics", "safe", 5, parentParentChild,
		S(`p: Hi, are you still OK to babysit Saturday 7-11?
q: Yes, see you at 7
v: can we have pizza`,
			`q: Hi both, I'll be round at 6:30, is bedtime still 9?
p: 9:30 on a Saturday
v: yesss`,
			`p: Can you sit for us Friday night?
q: Sure, same as usual?
p: Yes, numbers are on the fridge`),
		S(`p: he's allowed one hour of {game}
v: mum 😭`,
			`q: any allergies I should know about?
p: none, just no fizzy drinks after 8`,
			`v: can we watch a film
q: if your mum says yes`),
		S(`p: Thanks so much
q: No problem`,
			`q: All good, he's asleep
p: Amazing, back by 11`,
			`p: Cash on the side for you
q: Thanks!`))
}
