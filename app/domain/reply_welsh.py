"""Welsh in SMS replies (SPEC 8.3): Welsh answers mapped onto the English grammar of each reader.

Every reader understands English and Welsh at once: clients mix the two ("llawer gwell thanks", "3 wythnos"),
and no word of an answer means one thing in English and another in Welsh once read in context (a Welsh "naw",
nine, is no option of any question, so "naw" stays the English "no"; a Welsh "y", the, is the English "y"
only after a number, "2 y"). So no reader takes a `language` argument. Rather than a second parser, each
reader's phrase rules begin with the Welsh ones below, which rewrite Welsh words into the English words that
reader already knows ("llawer gwell" -> "much better", "ers i mi orffen" -> "since i finished"), after typo
correction against both vocabularies. Soft, nasal and aspirate mutations are listed as words ("fis", "ddau",
"mlynedd"); diacritics are gone by then (reply_text.fold). A FIRST DRAFT: a Welsh-speaking clinician must
review it before use with real clients (docs/languages.md, hazard H8). Pure: standard library only.
"""

from __future__ import annotations

from typing import Final

from app.domain.reply_text import phrase_rules

# Cardinal numbers with their mutated forms ("dau fis", "ddwy flynedd", "pum mlynedd", "bedair wythnos").
WELSH_NUMBERS: Final[dict[str, int]] = (
    dict.fromkeys(["un"], 1)
    | dict.fromkeys(["dau", "ddau", "dwy", "ddwy"], 2)
    | dict.fromkeys(["tri", "dri", "thri", "tair", "dair", "thair"], 3)
    | dict.fromkeys(["pedwar", "bedwar", "pedair", "bedair"], 4)
    | dict.fromkeys(["pump", "pum", "bump", "bum"], 5)
    | dict.fromkeys(["chwech", "chwe"], 6)
    | dict.fromkeys(["saith"], 7)
    | dict.fromkeys(["wyth"], 8)
    | dict.fromkeys(["naw"], 9)
    | dict.fromkeys(["deg", "ddeg", "deng"], 10)
    | dict.fromkeys(["deuddeg", "ddeuddeg", "deuddeng"], 12)
    | dict.fromkeys(["pymtheg", "bymtheg", "pymtheng"], 15)
    | dict.fromkeys(["deunaw", "ddeunaw"], 18)
    | dict.fromkeys(["ugain", "hugain"], 20)
)
# The numbers an option question can take (1-5); "naw" and the rest are never an option, so they stay words.
WELSH_OPTION_NUMBERS: Final = {word: n for word, n in WELSH_NUMBERS.items() if n <= 5}


def _longest(item: tuple[str, int]) -> int:
    return -len(item[0])


# "un ar ddeg" is 11, "un ar bymtheg" 16 (the old counting, still said for ages and days).
_TEENS: Final = (
    ("un ar ddeg", "11"), ("dau ar ddeg|deuddeg", "12"), ("tri ar ddeg|tair ar ddeg", "13"),
    ("pedwar ar ddeg|pedair ar ddeg", "14"), ("un ar bymtheg", "16"), ("dau ar bymtheg|dwy ar bymtheg", "17"),
    ("pedwar ar bymtheg|pedair ar bymtheg", "19"),
)  # fmt: skip

# "Compared with the start, how are you now?": 1 llawer gwell ... 5 llawer gwaeth.
WELSH_CHANGE_RULES: Final = phrase_rules(
    (r"o gymharu (?:gydar|gyda|ar|efor|efo|a) (?:dechrau|tro cyntaf)|ers y dechrau|ar hyn o bryd|erbyn hyn", ""),
    (r"(?:yn )?(?:union|hollol|gwbl|gwmws|gywir) (?:yr un|run) (?:fath|peth)", "exactly same"),
    (r"(?:yr un|run|yr 1) (?:fath|peth)", "same"),
    (r"(?:nag|na|ag|a|ac|fel) (?:or blaen|cynt|o r blaen)|or blaen", "than before"),
    (r"(?:digon |eithaf |yn )?(?:debyg|tebyg)", "similar"),
    (r"(?:fwy|mwy) neu lai", "more or less"),
    (
        r"(?:dim|ddim|heb fod) (?:yn )?(?:well|gwell) (?:na|nag|a|nac|neu) (?:yn )?(?:waeth|gwaeth)",
        "no better no worse",
    ),
    (r"(?:dim|ddim) (?:yn )?(?:well|gwell) (?:dim|ddim) (?:yn )?(?:waeth|gwaeth)", "no better no worse"),
    (r"dim byd", "nothing"),
    (r"dim ond", "only"),
    (r"(?:does|sdim|sim|nid oes|does na) dim|sdim|sim|heb|dim|ddim|nid|nad|dyw|dydy|dydi", "not"),
    (r"o lawer", "far"),
    (r"llawer iawn|lawer iawn", "very much"),
    (r"llawer|lawer|llwyth", "much"),
    (r"(?:tipyn|dipyn|chydig|ychydig|rhyw ychydig) bach|(?:rhyw )?(?:ychydig|chydig)|bach", "little"),
    (r"(?:rhyw )?(?:mymryn|fymryn)(?: bach)?", "slightly"),
    (r"rhywfaint|rywfaint|braidd", "somewhat"),
    (r"iawn|wir", "very"),
    (r"(?:yn )?(?:gwellach|wellach)|yn well|gwell", "better"),
    (r"(?:yn )?(?:gwaethach|waethach)|yn waeth|gwaeth|waeth", "worse"),
    (r"(?:wedi )?(?:gwella|wella|gwellhau|wellhau)", "improved"),
    (r"(?:wedi )?(?:gwaethygu|waethygu)", "worsened"),
    (r"newid|newidiadau|newidiodd|wedi newid", "change"),
    (r"gwahaniaeth|wahaniaeth|gwahanol|wahanol", "difference"),
    (r"ers", "since"),
    (r"ie|ydw|yndw|odw", "yes"),
    (
        r"dw|dwi|rydw|rwyf|rwy|wi|dwin|rwyn|win|ydwin|rydwin|teimlon|teimlo|yn|mae|maen|pethau|bethau|petha|nawr"
        r"|rwan|fi|mi|hefyd|jyst|jest|heddiw|fy|hun|wedi",
        "",
    ),
)

# "Do you feel back to your usual self? 1 ydw, yn llwyr 2 gan amlaf ... 3 nac ydw".
WELSH_USUAL_SELF_RULES: Final = phrase_rules(
    (
        r"(?:ddim|dim) (?:yn )?(?:llwyr|hollol|gyfan gwbl|siwr|sicr|cant y cant|100|gwbl)|dwn i ddim|wn i ddim"
        r"|(?:sai|sa i|sa in|sain|dwim|dwi ddim|dw i ddim|dwin|dw in) (?:yn |n )?(?:gwybod|siwr|sicr)"
        r"|ddim yn gwybod|dim yn gwybod|efallai|falle|ella|hwyrach|weithiau|rhywfaint|math o|rhyw fath|rhyw ffordd"
        r"|ie a na|ydw a nac ydw|ydw a na|anodd (?:dweud|deud)|mewn ffordd",
        "unsure",
    ),
    (r"(?:dim|ddim) ond (?:ychydig o |rhai |ambell )?symptomau(?: ysgafn)?(?: ar ol)?", "mostly"),
    (
        r"(?:nac|nag|na) (?:ydw|ydy|ydi|dw|dwi|ydw i|ydwi)|nacdw|nacydw|nagydw|nagw|nadw|nadi|nacdi|naci|naddo|nage"
        r"|(?:ddim|dim) (?:o gwbl|eto|wir|rili|really|yn agos|o bell ffordd|yn fi fy hun|fel fi fy hun"
        r"|yn teimlo fel fi fy hun|fel fy hun)|sai|sa i|smo fi|smo i|dwim|nid|ddim|dim|nac|nag",
        "no",
    ),
    (
        r"gan amlaf|gan fwyaf|gan mwyaf|yn bennaf|(?:y )?rhan fwyaf(?: (?:o|or) (?:amser|dyddiau|dydd|dyddie))?"
        r"|bron(?: iawn| a bod)?|(?:fwy|mwy) neu lai|ar y cyfan|(?:dod|dwad) (?:yna|yno|ymlaen)"
        r"|(?:ychydig o |rhai |ambell )?symptomau(?: ysgafn)?(?: ar ol)?",
        "mostly",
    ),
    (
        r"ie|ia|iep|yndw|yndi|ydw|ydy|ydi|odw|yn llwyr|llwyr|yn hollol|hollol|yn gyfan gwbl|cant y cant|yn sicr"
        r"|yn bendant|bendant|wrth gwrs|(?:fel )?fi fy hun(?: eto)?|(?:yn )?(?:ol|nol) (?:i |fel )?(?:normal|arfer)",
        "yes",
    ),
    (
        r"dw|dwi|rydw|rwyf|rwy|wi|dwin|rwyn|win|in|teimlon|teimlo|fel|fi|mi|eto|nawr|rwan|erbyn hyn|wir|iawn|jyst"
        r"|jest|hefyd|yn",
        "",
    ),
)

_WELSH_MONTHS: Final = (
    ("ionawr", "january"), ("chwefror", "february"), ("mawrth", "march"), ("ebrill", "april"), ("mai", "may"),
    ("mehefin", "june"), ("gorffennaf|gorffenaf", "july"), ("awst", "august"), ("medi", "september"),
    ("hydref", "october"), ("tachwedd", "november"), ("rhagfyr", "december"),
)  # fmt: skip
_MONTH_NAME = "|".join(name for name, _ in _WELSH_MONTHS)

# "How long have you been the way you are now? e.g. 3 wythnos, 2 fis", and "ers i mi orffen".
WELSH_DURATION_RULES: Final = phrase_rules(
    *((pattern, digits) for pattern, digits in _TEENS),
    # "naw" alone stays the English "naw" (no); "naw mis" is nine months.
    *(
        (f"{word}(?= [a-z])" if word == "naw" else word, str(n))
        for word, n in sorted(WELSH_NUMBERS.items(), key=_longest)
    ),
    (
        r"erioed|ers erioed|bob amser|am byth|(?:ers|ers pan) (?:oeddwn |roeddwn |o n |on )?(?:i n |in |i yn |yn )?"
        r"(?:blentyn|fach|fychan|ifanc|ysgol|arddegau)|ers plentyndod|ar hyd fy (?:oes|mywyd)"
        r"|fy (?:holl|oes) (?:fywyd|oes)|fy mywyd i gyd|(?:cyhyd|cyn belled) (?:ag|ac|a) (?:y )?"
        r"(?:galla|gallaf|gallai|fedra|fedrai|medra|medrai|cofia)(?: i)?(?: gofio)?",
        "always",
    ),
    (r"dechraur flwyddyn|dechrau r flwyddyn|dechrau y flwyddyn|y flwyddyn newydd|blwyddyn newydd|calan", "1 january"),
    (r"(?:y )?(?:nadolig|dolig)", "25 december"),
    (r"canol", "mid"),
    (r"mis (?=(?:" + _MONTH_NAME + r")\b)", ""),
    *_WELSH_MONTHS,
    (r"(?:yr )?wythnos (?:diwethaf|diwetha|dwetha|ddiwethaf|dwethaf)", "last week"),
    (r"(?:y )?mis (?:diwethaf|diwetha|dwetha|dwethaf)", "last month"),
    (r"(?:y )?llynedd", "last year"),
    (r"eleni", "this year"),
    (r"ddoe", "yesterday"),
    (r"heddiw", "today"),
    (r"neithiwr", "last night"),
    (r"(?:y )?bore (?:ma|yma|heddiw)", "this morning"),
    (r"rhwng ([0-9]+) (?:a|ac|i) ([0-9]+)", r"between \1 and \2"),
    (r"([0-9]+) i ([0-9]+)", r"\1 to \2"),
    (r"(?:a|ac) hanner", "and a half"),
    (r"hanner", "half"),
    (r"(?:cwpl|cwpwl)(?: o| of)?", "couple of"),
    (r"(?:ychydig|chydig)(?: o| of)?", "few"),
    (r"sawl|nifer o|nifer", "several"),
    (r"diwrnodau|dyddiau|diwrnode", "days"),
    (r"niwrnod|ddiwrnod|diwrnod|dydd|ddydd", "day"),
    (r"wythnosau|wythnose|wthnose|wsnosa", "weeks"),
    (r"wythnos|wthnos|wsnos", "week"),
    (r"pythefnosau|pythefnos|bythefnos|phythefnos", "fortnight"),
    (r"misoedd|fisoedd", "months"),
    (r"mis|fis", "month"),
    (r"blynyddoedd|flynyddoedd|blynedd|flynedd|mlynedd", "years"),
    (r"blwyddyn|flwyddyn|mlwyddyn", "year"),
    (r"oriau|awr", "hour"),
    (r"munudau|munud", "minute"),
    (r"(?:yn )?(?:ol|nol)", "ago"),
    (r"tua|tuag|oddeutu|rhyw|ryw|o gwmpas", "about"),
    (r"bron (?:i|a bod)|bron", "nearly"),
    (r"dros", "over"),
    (r"(?:mwy|fwy) (?:na|nag)", "more than"),
    (r"(?:llai) (?:na|nag)", "less than"),
    (r"o leiaf", "at least"),
    (r"efallai|falle|ella|siwr o fod|mae n siwr", "maybe"),
    (r"neu", "or"),
    (r"ers", "since"),
    (r"(?:ddod|dod|daeth|wedi dod) i ben", "ended"),
    (r"(?:gorffen|orffen|gorffennais|orffennais|gorffenais|orffenais|gorffennodd|orffennodd|gorffenodd)", "finished"),
    (r"diwedd|ddiwedd", "end"),
    (r"(?:nghael )?(?:rhyddhau|ryddhau|fy rhyddhau|fy ryddhau)", "discharged"),
    (r"stopio|stopiais|stopies|stopiodd|(?:rhoir|roir|rhoi r|roi r) gorau(?: iddi)?", "stopped"),
    (r"gadael|adael", "left"),
    (r"mynd|fynd", "going"),
    (r"olaf|ola|diwethaf|dwetha", "last"),
    (r"therapi|driniaeth|triniaeth|cwnsela|gwnsela", "therapy"),
    (r"sesiynau|sesiyne|sesiwn", "sessions"),
    (r"apwyntiadau|apwyntiad", "appointments"),
    (r"cwrs|gwrs|gwasanaeth|wasanaeth|tim|cymorth|gymorth", "course"),
    (r"(?<![0-9] )(?<!\ba )(?<!\ban )(?:y|yr|ir|r)", "the"),  # but "2 y" and "a yr" are years
    (r"cael|gael", "got"),
    (r"fy|yn fy", "my"),
    (
        r"(?:yn )?(?:teimlo|teimlon) fel (?:hyn|hynny|ma|yma)|fel (?:hyn|hynny|ma|yma)|dw|dwi|rydw|rwyf|rwy|wi|dwin"
        r"|rwyn|win|wedi|bod|am|mae|maen|imi|mi|fi|yn|ydw|ie|felly|erbyn hyn|nawr|rwan|jyst|jest|meddwl|dweud|deud",
        " ",
    ),
)
