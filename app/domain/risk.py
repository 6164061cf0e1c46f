"""Safeguarding: whether a message suggests risk to self or others (SPEC section 3).

Errs towards flagging, since a needless crisis signpost costs far less than a missed one, while idioms like
"killing it" stay clear. Typos of the long, unmistakable words and disguised spellings ("k*ll", "d1e") still
flag. Welsh phrases flag too (SPEC 8.3), with their mutations ("lladd"/"ladd", "marw"/"farw"), with or
without diacritics, and mixed with English ("isio die", "want to marw", "kill fy hun"). The Welsh list is a
first draft: a Welsh-speaking clinician must review it before use with real clients (hazard H8). Pure.
"""

from __future__ import annotations

import functools
import re
from typing import Final

from app.domain.reply_text import EVERYDAY, correct, deletion_index, fold, osa_distance, word_set, word_tokens

# Typos of the long, unmistakable words still flag ("sucide", "suisidal", "myslef"; "hunanladiad", "eisau").
_RISK_WORDS: Final = word_set(
    "suicide suicidal myself selfharm selfharming unalive "
    "hunanladdiad hunanladdol hunanniweidio niweidio gorddos gorddosio eisiau anobeithiol anobaith ymdopi "
    "tabledi dabledi nhabledi meddyginiaeth gwenwyno trywanu argyfwng diflannu brifo frifo neidio peidio beidio"
)
# "overdoing", "overjoyed" and "overcome" lie within two edits of these, so only one typo is allowed.
_OVERDOSE_WORDS: Final = word_set("overdose overdosed overdoses overdosing")
_SELF = r"(?:myself|my self|meself|me self|my own self)"
_PEOPLE = (
    r"(?:someone|somebody|some one|some1|anyone|anybody|people|others|other people|him|her|them|you|u|everyone"
    r"|everybody|my (?:kids|children|child|baby|partner|wife|husband|son|daughter|mum|dad|mother|father|family"
    r"|boyfriend|girlfriend|ex))"
)
_WANT = r"(?:want|wanted|wanting|wanna|wana|wnat|wnt|wamt)"
_HARM_VERBS = (
    r"(?:kil+|kil+s|kil+ed|kil+ing|kil+in|hurt|hurts|hurting|harm|harms|harming|harmed|cut|cuts|cutting|hang"
    r"|hanging|hanged|shoot|shooting|stab|stabbing|drown|drowning|poison|poisoning|starve|starving|strangle"
    r"|suffocate|burn|burning|top|topping|off|end|ending|punish|punishing|injure|injuring)"
)
_RISK_PATTERNS: Final = (
    r"suicid\w*|suisid\w*|sucid\w*|unaliv\w*|kms|kys|overdos\w*|od|ods|self ?harm\w*|self ?injur\w*"
    r"|self ?hurt\w*|self ?mutilat\w*|selfharm\w*|stockpil\w*",
    rf"{_HARM_VERBS} {_SELF}",
    rf"kil+ (?:me|my \w+)|(?:kil+|kil+ing|murder|murdering|kil+in) (?:yourself|urself|ur self|{_PEOPLE})",
    r"(?:dont|do not|never) feel safe|feel unsafe|(?:im|i am) not safe",
    r"(?:hurt|hurting|harm|harming|attack|attacking|stab|stabbing|strangle|strangling|beat|beating|shoot"
    rf"|shooting|batter|battering) {_PEOPLE}",
    r"(?:end|ending|ended) (?:it all|my (?:own )?life|everything|things)",
    rf"(?:{_WANT}|going|gonna|thinking|thought|think|planning|plan|ready|decided|might|could|will|just) (?:to )?"
    r"(?:just )?end it|(?:like|about|of|considering) ending it",
    r"(?:take|taking|took|end|ending) my (?:own )?life",
    rf"(?:{_WANT}|wish|wished|wishing|ready|rather|prefer|longing) (?:to |2 )?(?:just |simply )?(?:die"
    r"|be dead|not be here|not exist|not be alive|not wake up|never wake up)",
    r"wish (?:i|id|i had|i was|i were|i could|i would)(?: just)? (?:be |have )?(?:dead|die|died|gone"
    r"|never been born|not been born|never born|not here|not alive|wasnt here|wasnt alive|werent here)",
    r"(?:better off|rather be|id be better) (?:dead|gone|without me)",
    rf"(?:dont|do not|didnt|did not|dnt|doesnt|no longer|not) (?:really |even )?(?:{_WANT}|wish|feel like)"
    r"(?: to| 2)? (?:be here|be alive|be around|live|living|exist|existing|wake up|go on|carry on)",
    r"no (?:reason|point|purpose) (?:to|in|of) (?:live|living|life|being alive|going on|carrying on|being here)",
    r"nothing (?:left )?to live for|(?:isnt|is not|aint|not|no longer) worth living",
    r"(?:cant|cannot|can not) (?:go on|carry on|keep going|cope any ?more|do this any ?more"
    r"|take (?:it|this|any ?more))",
    r"(?:all|whole (?:box|bottle|pack|packet|lot)|too many|load of|loads of|handful of|bunch of|stash of)"
    r" (?:of )?(?:my |the |these |those |me )?(?:pills|tablets|meds|medication|medicine|paracetamol|painkillers)",
    r"(?:jump|jumping|jumped|throw myself|throwing myself|step|stepping) (?:off|from|in front of|under)",
    r"(?:slit|slitting|slash|slashing|cut|cutting) (?:my )?(?:wrists?|arms?|thighs?|legs?|skin)",
    # Below: wider signs, flagged because a needless signpost costs less than a missed one.
    r"kl+ (?:myself|my self|me)"
    r"|(?:want|wanna|wish|like|wishing|wanting) (?:to |2 )?(?:just )?(?:disappear|vanish|go to sleep forever)"
    r"|wish i could (?:just )?(?:disappear|vanish|sleep forever|not wake up)|never wake up|sleep forever",
    r"no (?:point|reason|purpose)(?: in| to| of)? (?:living|life|anything|going on|carrying on|trying|being here"
    r"|existing|any ?more)|(?:whats|what is) the point(?! (?:of|in) (?:these"
    r"|this|your|the|answering) (?:texts?|messages?|survey|questions?))",
    r"(?:cant|cannot|can not|unable to|struggling to) cope|(?:lost|losing|no|have no) (?:the )?will to live"
    r"|(?:given|giving|give|gave) up on (?:life|living|everything|myself)|(?:ready|want|going) to give up"
    r"|(?:tired|sick|weary) of (?:living|life|being alive|existing|it all|everything)",
    r"\bsh\b(?! t\b)|(?:been|started|start|keep|kept|still|was|im|am|back to|stop) cutting\b(?! (?:back|down|out"
    r"|off|up|in|it|corners|costs|ties|the|my hair|hair|grass|carbs|sugar|alcohol|drinking|meat))"
    r"|cutting again|cut again|sewer ?slide|noose|ligature|(?:sav|sav[ei]ng|saved|save|hoard\w*) (?:up )?"
    r"(?:my |all my |some )?(?:pills|tablets|meds|medication|painkillers|paracetamol)",
    r"in danger|not safe|unsafe|(?:hits|hit|hitting|beats|beat|beating|abuses|abused|abusing|attacks|attacked"
    r"|threatens|threatened|threatening|hurts|hurting|raped|rapes|assaulted|strangled|choked|chokes|controls"
    r"|controlling) me|abuse|abused|abusive|domestic violence|(?:scared|afraid|frightened|terrified) (?:of|for) "
    r"(?:him|her|them|my (?:life|safety|partner|husband|wife|boyfriend|girlfriend|ex|dad|father|mum|mother))"
    r"|fear for my (?:life|safety)|shoot me|(?:i )?need (?:urgent |some |immediate )?help|please help"
    r"|someone help|help me please",
    r"(?:took|taken|take|taking|swallowed|swallow) (?:\d+|a lot of|lots of|loads of|a load of|a bunch of|all)"
    r" (?:my |the |of my |of the )?(?:pills|tablets|meds|medication|paracetamol|painkillers|sleeping pills)"
    r"|(?:im|i am|feel like|feel like im|being|such) a burden|(?:be|are|were|would be|d be) better (?:off )?without me"
    r"|(?:cant|cannot|dont) see (?:a|any|the|my) future|no future"
    r"|(?:written|wrote|writing|left) (?:a|my) (?:note|letter)"
    r"|this is goodbye|saying goodbye|say goodbye|goodbye forever|final goodbye|goodbye everyone|feel like dying"
    r"|(?:and|to) not wake up|not to wake up|hope i (?:dont|do not|never) wake up|s h",
    r"dark thoughts|bad thoughts|intrusive thoughts|crisis|breakdown|hopeless|no hope|no way out"
    r"|(?:cant|cannot|dont) see a way (?:out|forward)",
)

# Welsh (SPEC 8.3), folded: lower case, no diacritics, no apostrophes ("dw i'n" is "dw in", "o'r" is "or"). Each
# slot takes both languages, so mixed messages flag: "isio die", "want to marw", "lladd myself", "kill fy hun".
_CY_SELF_OWN = r"(?:fy|fi|fyn|fin|vy|fu|dy|di|ei|ein|eich|eu|in|n|i|e|fe|y|f) ?(?:hun|hunan|hunain|hyn|hin|hn|hum|huan)"
_CY_SELF = rf"(?:{_CY_SELF_OWN}|hun|hunan|hunain|fi|mi)"
_CY_HARM = (
    r"(?:l+a+d+|l+a+d+ais|l+a+d+odd|brifo|frifo|mrifo|briwo|niweidio|niweidio|anafu|nafu|torri|dorri|nhorri|thorri"
    r"|llosgi|losgi|crogi|grogi|nghrogi|boddi|foddi|gwenwyno|wenwyno|saethu|trywanu|drywanu|taflu|daflu|cosbi"
    r"|gosbi|dinistrio|ddinistrio|mygu|fygu|tagu|dagu|newynu|niwed i|niwed|difa)"
)
_CY_PEOPLE = (
    r"(?:rhywun|rhywrai|unrhyw un|unrhywun|pobl|bobl|eraill|e|fe|fo|o|hi|nhw|ef|chi|ti|pawb|bawb|y plant|y babi|plant"
    r"|babi|teulu"
    r"|fy (?:ngwr|ngwraig|mhartner|mhlant|mhlentyn|mabi|nghariad|mam|nhad|mrawd|chwaer|mab|merch|nheulu|mos"
    r"|nghyn \w+|nghymydog|ffrind)|dy \w+|ei \w+)"
)
_CY_WANT = (
    r"(?:e?is+h?i*(?:au|o+|e)|moyn|moen|moin|mo yn|mofyn|ymofyn|am|awydd|ffansi|dymuno|ddymuno|gobeithio"
    r"|hoffwn|hoffen|barod|yn barod|mynd|meddwl am|meddwl|ystyried|cynllunio|planio|trio|ceisio|penderfynu)"
)
_CY_DIE = (
    r"(?:marw+|farw+|varw|bod yn farw|fod yn farw|bod wedi marw|fod wedi marw|peidio bod|beidio bod|peidio bodoli"
    r"|peidio byw|diflannu|ddiflannu|cysgu am byth|gysgu am byth|peidio deffro|beidio deffro|peidio dihuno"
    r"|mynd i gysgu am byth|gorffen y cyfan|gorffen popeth|die|be dead|not be here|not exist|not wake up)"
)
_CY_NEG = (
    r"(?:ddim|dim|sai|sa i|sain|sa in|sai n|smo fi|smo fin|smo i|smo in|dwim|nid wyf|nad wyf|nid ydw|dwi ddim"
    r"|dw i ddim|dydw i ddim|dyw i ddim"
    r"|dont|do not|didnt|did not|dnt|doesnt|no longer|not)"
)
_CY_HERE = (
    r"(?:bod yma|fod yma|bod yn fyw|fod yn fyw|byw|fyw|bodoli|fodoli|deffro|ddeffro|dihuno|ddihuno|mynd ymlaen"
    r"|cario ymlaen|bod o gwmpas|fod o gwmpas|bod ar y ddaear|fod ar y ddaear|parhau|barhau|be here|be alive|live"
    r"|living|exist|wake up|go on|carry on)"
)
_CY_PILLS = (
    r"(?:tabledi|dabledi|nhabledi|thabledi|tabled|pils|bils|mhils|pilsen|moddion|foddion|meddyginiaeth"
    r"|feddyginiaeth|meddyginiaethau|paracetamol|parasetamol|poenladdwyr|boenladdwyr|pills|tablets|meds)"
)
_CY_CANT = (
    r"(?:methu|fethu|ffaelu|ddim yn gallu|dim yn gallu|ddim gallu|dim gallu|alla i ddim|allai ddim|alla i mo"
    r"|fedra i ddim|fedrai ddim|fedra i mo|sain gallu|sa in gallu|dwim yn gallu|dwim gallu)"
)
_WELSH_RISK_PATTERNS: Final = (
    # suicide and self-harm named: "hunanladdiad", "meddyliau hunanladdol", "hunan-niweidio", "gorddos"
    r"hunan ?l+a+d+\w*|hunanl+a+d+\w*|hunan ?(?:n?niweid\w*|niwed|anaf\w*|ddinistr\w*|dorri\w*|frifo|gosb\w*)"
    r"|hunanniweid\w*|g?or+d+os\w*",
    # "lladd fy hun", "ladd fy hunan", "brifo fi'n hun", "torri fy hun", "niwed i fy hun"; "kill fy hun"
    rf"{_CY_HARM} (?:{_CY_SELF}|{_SELF})|{_HARM_VERBS} {_CY_SELF_OWN}",
    # risk to others: "lladd rhywun", "brifo fy ngwr", "lladd fy mos"
    r"l+a+d+ (?:fy|dy|ei) \w+"
    rf"|(?:ll+a+d+|l+a+dd+|brifo|frifo|niweidio|anafu|ymosod ar|trywanu|drywanu|saethu|tagu|dagu|curo|guro)r?"
    rf" (?:{_CY_PEOPLE}"
    rf"|{_PEOPLE})",
    # "eisiau marw", "isio marw", "moyn marw", "dw i jyst isio marw", "want to marw", "isio die"
    rf"(?:{_CY_WANT}|{_WANT}|wish|ready|rather) (?:i |to |2 )?(?:jyst |jest |just |wir |rili |really |simply )?"
    rf"{_CY_DIE}",
    r"(?:gwell|well) (?:gen i|gyda fi|da fi|gennyf|genna i|gena i|gennai|gen i fod|gyda fi fod|i mi|imi|i fi)"
    r" (?:fod yn |bod yn )?"
    r"(?:farw|marw|beidio bod|peidio bod|ddiflannu)|teimlo n? ?fel (?:marw|farw)|teimlon fel (?:marw|farw)",
    r"(?:dymuno|ddymuno|biti|bechod|trueni|piti) (?:\w+ ){0,4}(?:wedi marw|yn farw|heb (?:gael )?fy ngeni"
    r"|ddim wedi (?:cael )?fy ngeni|ddim yma)",
    # "ddim eisiau bod yma", "dim isio byw", "sai moyn bod yn fyw", "dont isio be here"
    rf"{_CY_NEG} (?:yn |really |rili |wir |even |jyst )?(?:{_CY_WANT}|{_WANT}|wish|feel like) (?:i |to |2 )?"
    rf"(?:jyst |wir )?{_CY_HERE}",
    # "dim pwynt byw", "beth yw'r pwynt", "dim byd i fyw amdano", "ddim yn werth byw"
    r"(?:dim|does dim|sdim|sim|heb|dim un|ddim|no) (?:pwynt|bwynt|point|rheswm|reswm|diben|pwrpas|bwrpas)"
    r" (?:i |mewn |o |yn )?"
    r"(?:byw|fyw|bywyd|fywyd|mynd ymlaen|cario ymlaen|bod yma|fod yma|trio|ceisio|dim byd|ddim byd|unrhyw beth"
    r"|bellach|mwyach|rhagor|bod yn fyw|fod yn fyw|bodoli|fodoli|living|life)",
    r"(?:beth|be|ber|pa) (?:(?:yw|ydy|ydi|di|ywr|ydyr|ydir|dir|r) )?(?:pwynt|bwynt|diben|iws)"
    rf"|{_CY_NEG} (?:yn )?(?:gweld|weld) (?:y |unrhyw |dim )?(?:pwynt|bwynt|dyfodol|ffordd allan|gobaith)",
    r"dim byd (?:ar ol )?i (?:fyw|byw)|(?:ddim|dim|nid yw|dyw) (?:yn )?(?:werth|gwerth) (?:ei )?(?:byw|fyw|bod yn fyw)"
    r"|bywyd (?:ddim|dim) (?:yn )?werth",
    # "rhoi diwedd ar y cyfan", "dod a'r cyfan i ben", "gorffen fy mywyd", "cymryd fy mywyd"
    r"(?:rhoi|roi|rhoid|roid|dod|ddod) (?:diwedd|terfyn|pen|ben) ar (?:y cyfan|bopeth|popeth|fy mywyd|fywyd|bywyd"
    r"|y cwbl|y cwbwl|pethau|bethau|hyn i gyd)|diwedd ar (?:y cyfan|bopeth|popeth|fy mywyd|y cwbl|pethau|bethau)"
    r"|(?:dod|ddod) (?:a |ar |ag |a r )?(?:y |fy |r )?(?:cyfan|mywyd|bywyd|fywyd|popeth|bopeth|cwbl|pethau|bethau)"
    r" i ben|(?:gorffen|orffen|diweddu|ddiweddu|terfynu|derfynu|lladd|ladd) (?:fy |y |r )?(?:mywyd|cyfan|cwbl"
    r"|cwbwl|popeth|bopeth|pethau)|(?:cymryd|gymryd|cymerais) fy (?:mywyd|mywyd fy hun)",
    # hopelessness: "anobeithiol", "dim gobaith", "methu mynd ymlaen", "wedi blino ar fyw", "dw i'n faich"
    r"anobaith\w*|anobeithiol|dim gobaith|heb (?:ddim )?obaith|(?:colli|gholli|cholli)r? (?:pob |fy |y |r )?gobaith"
    r"|dim dyfodol|heb ddyfodol|dim ffordd (?:allan|ymlaen)"
    r"|(?:colli|gholli|cholli)r? (?:yr |r |fy )?(?:awydd|ewyllys|chwant) i (?:fyw|byw)"
    r"|(?:wedi blino|blino|wedi cael digon|cael digon|cael llond bol|wedi syrffedu|syrffedu) (?:ar|o) (?:fyw|byw"
    r"|fywyd|bywyd|bodoli|bopeth|popeth|y cyfan|y cwbl)"
    r"|(?:rhoi|roi)r? (?:r |y )?gorau (?:i |iddi )?(?:fyw|fywyd|bywyd|bopeth|popeth)"
    r"|(?:rhoi|roi)r? (?:r )?ffidil yn y to"
    r"|(?:yn|n|in|teimlo|teimlon|dwin|fel|rwyn) (?:faich|baich)|baich ar (?:bawb|pawb|bobl|pobl|eraill|fy \w+)",
    rf"{_CY_CANT} (?:mynd ymlaen|mynd mlaen|cario ymlaen|cario mlaen|dal ati|dal i fynd|dal (?:dim|ddim) mwy"
    r"|dal rhagor|parhau|barhau|ymdopi|dopio"
    r"|copio|cope|wynebu (?:bywyd|fywyd|dim byd|ddim byd|popeth|bopeth|fory|yfory|hyn|pethau|bethau)|gwneud hyn"
    r"|wneud hyn|(?:gweld|weld) (?:y |unrhyw |dim |fy )?(?:dyfodol|ffordd allan|pwynt|bwynt|gobaith|diwedd)"
    r"|(?:cymryd|gymryd|diodde|dioddef|ddiodde|ddioddef) (?:hyn|rhagor|mwy|dim mwy|ddim mwy|mwyach"
    r"|bellach)|byw|fyw)",
    # plans and means: "llwyth o dabledi", "cymryd yr holl dabledi", "casglu fy nhabledi", "neidio oddi ar bont"
    r"(?:llwyth|lot|llond llaw|llond|pob un|yr holl|holl|gormod|bocs cyfan|potel gyfan|paced cyfan|pecyn cyfan"
    rf"|stash|cyflenwad) (?:o |or |o r )?(?:fy |y |yr |r )?{_CY_PILLS}|{_CY_PILLS} i gyd"
    rf"|(?:casglu|gasglu|cadw|gadw|hel|storio|cuddio|guddio|celcio|gelcio|cynilo|stocio) (?:fy |y |yr |r )?{_CY_PILLS}"
    rf"|(?:llyncu|lyncu|llyncais|llyncodd) (?:fy |y |yr |r )?{_CY_PILLS}"
    r"|(?:cymryd|gymryd|cymerais|cymeres|cymerodd|llyncu|lyncu|llyncais) (?:\d+|llwyth|lot|gormod|y cyfan|yr holl"
    r"|holl|pob un|bob un|llond llaw)",
    r"neidio (?:oddi ar|o ben|o flaen|dan|off|or|o r|o|i flaen)|(?:taflu|daflu) (?:fy hun )?(?:oddi ar|o flaen|dan)"
    r"|(?:torri|dorri|thorri|nhorri|sleisio|slasio|slashio|hollti) (?:fy |y |yn )?(?:arddwrn|arddyrnau|ngarddwrn"
    r"|ngarddyrnau|mreichiau|breichiau|nghoesau|coesau|nghroen|croen|ngwythiennau|gwythiennau|wrists?|arms|legs"
    r"|skin)|(?:torri|dorri) eto|(?:dechrau|ail ?ddechrau|dal i|wedi bod yn) (?:torri|dorri|hunan niweidio)"
    r"|(?:ysgrifennu|sgwennu|sgrifennu|ysgrifenu|gadael) (?:nodyn|llythyr)(?: ffarwel| olaf)?|nodyn (?:ffarwel|olaf)"
    r"|hwyl fawr am byth|ffarwel (?:am byth|i bawb|olaf)|dyma ffarwel|dweud ffarwel|(?:dymar|dyma r|dyma y) diwedd",
    # "gwell eu byd hebdda i", "pawb yn well hebddo i", "yn well yn farw"
    r"(?:gwell|well) (?:eu|ei|fy|ein|eich|ych|u) (?:byd|myd|fyd) (?:heb\w*|yn farw|wedi marw|wedi mynd)"
    r"|(?:gwell|well) (?:\w+ ){0,4}(?:hebdda|hebddo|hebof|hebddof|heb (?:fi|mi))\b|(?:gwell|well) (?:\w+ ){0,3}"
    r"(?:yn farw|wedi marw)",
    # safety, abuse, asking for help, crisis
    r"(?:ddim|dim|nid|nad|dwim) (?:\w+ ){0,3}(?:ddiogel|saff)|anniogel|mewn perygl"
    r"|(?:fy|yn fy|n fy) (?:nharo|mwrw|nghuro|ngham ?drin|nghamdrin|nhagu|mygu|mhwnio|nhreisio|mygwth|mygythu|mrifo"
    r"|niweidio|nghicio|nghloi|rheoli)|cam ?drin|gamdrin|cham ?drin|camdriniaeth|gamdriniaeth|trais|dreisio"
    r"|treisio|threisio|(?:ofn|ofni|arswyd|ofnus) (?:e|fe|fo|hi|nhw|fy \w+|am fy \w+|ohono|ohoni|ohonyn|ohonynt"
    r"|mynd adre|mynd adref|mynd adra)",
    r"(?:angen|isio|eisiau|moyn) (?:help|cymorth|helpu|rhywun)|helpwch fi|help fi|helpa fi|helpu fi|helpwch"
    r"|plis help|help plis|rhywun help\w*",
    r"argyfwng|meddyliau (?:tywyll|duon|drwg|hunanladdol|ofnadwy|am farw|am ladd|am hunanladdiad|am niweidio)"
    r"|meddwl am (?:farw|ladd|hunanladdiad|niweidio|frifo|dorri)|chwalfa",
    # "casau fy mywyd", "haeddu marw", "ar ben fy nhennyn" (at the end of my tether), "dim ots os dw i'n marw",
    # "a pheidio deffro", "isio i'r cyfan stopio"
    r"(?:casau|gasau|chasau) (?:fy )?(?:mywyd|bywyd|fywyd|byw)|haeddu (?:marw|bod yn farw|cael fy mrifo)"
    r"|ar ben fy nhennyn|pen fy nhennyn"
    r"|(?:dim ots|does dim ots|sdim ots|os) (?:\w+ ){0,5}(?:marw|farw)"
    r"|(?:peidio|beidio|pheidio|byth|fyth|na wna i|nai byth|na fydda i yn|na fyddai n) (?:yn )?(?:deffro|ddeffro"
    r"|dihuno|ddihuno)"
    rf"|{_CY_WANT} (?:ir|i r|i|iddo|iddi) (?:cyfan|cwbl|poen|popeth|bopeth) (?:stopio|ddod i ben|orffen|ben|ddarfod)",
    # anywhere, not only as the whole message: "...ond weithiau dim pwynt", "dw i wedi cael digon"
    r"(?:dim|sdim|sim) (?:pwynt|bwynt|point|pwnt|pwint|pwyn)|(?:wedi|di) cael digon",
)
_RISK: Final = re.compile(
    r"\b(?:" + "|".join(f"(?:{pattern})" for pattern in _RISK_PATTERNS + _WELSH_RISK_PATTERNS) + r")\b"
)
_RISK_TRIM: Final = word_set(
    "x xx xxx thanks thank you ty thx ta cheers please pls plz ok okay hi hello hey lol just now "
    "diolch plis helo haia jyst jest nawr rwan"
)
# Short messages that are a risk only as the whole message ("end it", "help me"), once pleasantries are gone.
_WHOLE_RISK: Final = re.compile(
    r"(?:i )?(?:just )?(?:(?:want|wanna|going|gonna|need) (?:to )?)?end it(?: now| all)?|i (?:just )?give up"
    r"|(?:please )?help me(?: please)?|(?:theres |there is )?no point(?: any ?more)?|(?:i )?cant do this"
    # Welsh: "dim pwynt", "does dim pwynt", "dw i'n rhoi'r gorau iddi", "dw i wedi cael digon"
    r"|(?:does |sdim |sim |mae )?dim pwynt(?: bellach| mwyach| rhagor)?|sdim pwynt|(?:does )?dim iws"
    r"|(?:dwi |dw i |dwin |dw in |rwyn )?(?:rhoi|roi)r? (?:r gorau|gorau|fyny|i fyny)(?: iddi)?"
    r"|(?:dwi |dw i |rwyf |rydw i )?wedi cael digon(?: nawr| rwan)?|(?:dwi |dw i )?(?:methu|ffaelu) gwneud hyn"
    r"|(?:dwin|dw in|rwyn|dwi wedi bod yn|dw i wedi bod yn|dwi di bod yn|wedi bod yn) (?:torri|dorri)(?: eto)?"
)


_LEET_LETTERS: Final = {"1": "i", "!": "i", "3": "e", "0": "o", "4": "a", "@": "a", "5": "s"}
_DISGUISED: Final = re.compile(r"(?<=[a-z])(?:[*#$]+|[1!304@5])(?=[a-z])")


@functools.lru_cache(maxsize=4096)
def _risk_word(word: str) -> str:
    """The risk word `word` is a typo of, if any; otherwise the word itself."""
    word = correct(word, _RISK_WORDS)
    if word in EVERYDAY or not 6 <= len(word) <= 11:
        return word
    return next((target for target in _OVERDOSE_WORDS if osa_distance(word, target, 1) <= 1), word)


def mentions_risk(text: str) -> bool:
    """Whether a message suggests risk to self or others ("suicidal", "want to die", "hurt someone")."""
    # "k*ll", "su*cide": masked letters left out (typos do the rest); "k1ll", "d1e": digits for letters.
    folded = _DISGUISED.sub(lambda m: _LEET_LETTERS.get(m[0], ""), fold(text))  # fold drops diacritics too
    if re.search(r"\bo\.?d(?:'d|'ed|ed|'ing|ing)\b", folded):  # "OD'd", "ODed", "OD'ing", but not "odd"
        return True
    words = [_risk_word(word) for word in word_tokens(folded)]
    if _RISK.search(" ".join(words)):
        return True
    if len(words) > 8:
        return False  # every whole-message phrase is short
    start, end = 0, len(words)
    while end > start and words[end - 1] in _RISK_TRIM:  # "end it x", "help me thanks"
        end -= 1
    while start < end and words[start] in _RISK_TRIM:
        start += 1
    return _WHOLE_RISK.fullmatch(" ".join(words[start:end])) is not None


deletion_index(_RISK_WORDS)  # built at import, not while the first message waits
