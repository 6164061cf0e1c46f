"""Welsh (Cymraeg) wording of the pages and emails a client sees, by key (see `pages_en`): a FIRST DRAFT that
needs review by a qualified translator before use with real clients (docs/languages.md, hazard log H7).
The crisis signposting keeps 999, NHS 111 option 2 (GIG 111) and Samaritans 116 123, and adds the
Samaritans' Welsh line 0808 164 0123. Email subjects name nothing clinical, as in English.
"""

from __future__ import annotations

from typing import Final

PAGES: Final[dict[str, str]] = {
    "layout.skip": "Neidio i'r prif gynnwys",
    "layout.page_title": "{title} - Stillwell",
    "layout.error_title": "Gwall: {title}",
    "layout.footer": (
        "Os ydych yn teimlo mewn perygl nawr: ffoniwch 999, neu GIG 111 (opsiwn 2), neu'r Samariaid ar 116 123 "
        "(yn Gymraeg: 0808 164 0123)."
    ),
    "language.name": "Cymraeg",
    "language.html_lang": "cy",
    "language.nav_label": "Iaith",
    "email.subject": "Cwestiwn byr gan {name}",
    "email.subject_reminder": "Nodyn atgoffa: cwestiwn byr gan {name}",
    "email.intro": (
        "Mae {name} yn cysylltu, yn annibynnol ar y gwasanaeth a welsoch, i ofyn sut ydych chi nawr "
        "o gymharu gyda'r tro cyntaf i chi fynd. Mae'n cymryd tua munud."
    ),
    "email.reminder_note": "Dydyn ni ddim wedi clywed gennych eto, felly dyma'r ddolen eto.",
    "email.answer_here": "Atebwch yma: {link}",
    "email.answer_link": "Atebwch dri chwestiwn byr",
    "email.no_reply": "Nid yw'r cyfeiriad hwn yn darllen atebion.",
    "email.crisis": (
        "Os ydych yn teimlo mewn perygl nawr, ffoniwch 999, neu GIG 111 (opsiwn 2), neu'r Samariaid ar 116 123 "
        "(yn Gymraeg: 0808 164 0123)."
    ),
    "email.stop_text": "I atal y negeseuon hyn: {link}",
    "email.stop_link": "Atal y negeseuon hyn",
    "survey.title": "Ychydig o gwestiynau byr",
    "survey.problem_heading": "Mae problem",
    "survey.error_marker": "Gwall:",
    "survey.intro": (
        "Mae Stillwell yn gofyn i bobl a ddefnyddiodd {name} sut maen nhw nawr, ar gyfer gwerthusiad annibynnol "
        "o wasanaethau. Mae'n cymryd tua munud. Mae eich atebion yn mynd i'r gwerthusiad annibynnol, nid i {name}."
    ),
    "survey.already_told": "Rydych eisoes wedi dweud wrthym mewn neges destun: {answer}. Diolch.",
    "survey.already_told_since": "Rydych eisoes wedi dweud wrthym mewn neges destun: ers {date}. Diolch.",
    "survey.change_question": "O gymharu gyda'r tro cyntaf i chi fynd, sut ydych chi nawr?",
    "survey.change_hint": "Dewiswch un. Mae angen ateb y cwestiwn hwn.",
    "survey.change.much_better": "Llawer gwell",
    "survey.change.a_little_better": "Ychydig yn well",
    "survey.change.same": "Yr un fath",
    "survey.change.a_little_worse": "Ychydig yn waeth",
    "survey.change.much_worse": "Llawer gwaeth",
    "survey.duration_question": "Ers faint ydych chi wedi bod fel rydych chi nawr?",
    "survey.duration_hint": "Er enghraifft 3 wythnos neu 2 fis. Gallwch adael hwn allan.",
    "survey.duration.length": "Am gyfnod o amser",
    "survey.duration.finished": "Ers i mi orffen",
    "survey.duration.always": "Cyhyd ag y gallaf gofio",
    "survey.duration.unsure": "Dydw i ddim yn siŵr",
    "survey.number": "Rhif",
    "survey.unit": "Diwrnodau, wythnosau, misoedd neu flynyddoedd",
    "survey.unit.choose": "Dewiswch uned",
    "survey.unit.days": "diwrnodau",
    "survey.unit.weeks": "wythnosau",
    "survey.unit.months": "misoedd",
    "survey.unit.years": "blynyddoedd",
    "survey.usual_self_question": "Ydych chi'n teimlo fel chi eich hun eto?",
    "survey.usual_self.yes": "Ydw, yn llwyr",
    "survey.usual_self.mostly": "Gan amlaf, dim ond ychydig o symptomau ysgafn",
    "survey.usual_self.no": "Nac ydw",
    "survey.comment_label": "Oes unrhyw beth arall yr hoffech ei ddweud wrthym? (dewisol)",
    "survey.comment_hint": (
        "Nid yw hwn yn cael ei ddarllen ar unwaith. Os oes angen help arnoch nawr, ffoniwch 999, neu GIG 111 "
        "(opsiwn 2), neu'r Samariaid ar 116 123 (yn Gymraeg: 0808 164 0123)."
    ),
    "survey.send": "Anfon fy atebion",
    "survey.error.choose_option": "Dewiswch un o'r opsiynau",
    "survey.error.change_required": "Dewiswch sut ydych chi nawr, o gymharu gyda'r tro cyntaf i chi fynd",
    "survey.error.whole_number": "Rhowch rif cyfan, fel 3 neu 12",
    "survey.error.number_missing": "Rhowch sawl diwrnod, wythnos, mis neu flwyddyn",
    "survey.error.unit_missing": "Dewiswch ddiwrnodau, wythnosau, misoedd neu flynyddoedd",
    "survey.error.length_missing": "Rhowch rif a dewis diwrnodau, wythnosau, misoedd neu flynyddoedd",
    "survey.error.both": "Naill ai rhowch gyfnod o amser, neu dewiswch un o'r opsiynau eraill, nid y ddau",
    "survey.error.comment_long": "Cadwch eich sylw o dan {max} nod",
    "survey.error.future": "Byddai hynny'n ddyddiad yn y dyfodol. Gwiriwch y rhif a'r uned",
    "survey.error.timed_out": (
        "Mae'n ddrwg gennym, daeth amser y dudalen hon i ben er eich diogelwch. Gwiriwch eich atebion a "
        "phwyswch Anfon fy atebion eto."
    ),
    "thanks.title": "Diolch",
    "thanks.answers_go_named": ("Mae eich atebion gennym. Maen nhw'n mynd i'r gwerthusiad annibynnol, nid i {name}."),
    "thanks.answers_go_unnamed": (
        "Mae eich atebion gennym. Maen nhw'n mynd i'r gwerthusiad annibynnol, nid i'r gwasanaeth a welsoch."
    ),
    "thanks.nothing_more": "Does dim byd arall sydd angen i chi ei wneud. Gallwch gau'r dudalen hon.",
    "signposting.title": "Os oes angen help arnoch nawr",
    "signposting.danger": "Os ydych mewn perygl neu'n meddwl niweidio eich hun, ffoniwch {phone_999} nawr.",
    "signposting.urgent": (
        "Am help brys unrhyw bryd, ffoniwch {phone_111} a dewis opsiwn 2, neu ffoniwch y Samariaid am ddim ar "
        "{phone_samaritans} (yn Gymraeg: 0808 164 0123)."
    ),
    "signposting.nhs_111": "GIG 111",
    "signposting.alone": "Does dim rhaid i chi wynebu hyn ar eich pen eich hun.",
    "link.used_title": "Wedi ateb yn barod",
    "link.used_heading": "Rydych chi wedi ateb yn barod",
    "link.used_body": ("Diolch: mae eich atebion o'r ddolen hon gennym. Does dim byd arall sydd angen i chi ei wneud."),
    "link.expired_title": "Mae'r ddolen hon wedi cau",
    "link.expired_heading": "Mae'r ddolen hon wedi cau",
    "link.expired_body": (
        "Diolch am ei hagor. Mae'r amser i ateb y cwestiynau hyn wedi mynd heibio, felly does dim byd sydd angen i "
        "chi ei wneud nawr. Os oes holi arall wedi'i drefnu, byddwn mewn cysylltiad bryd hynny."
    ),
    "link.unknown_title": "Dolen heb ei hadnabod",
    "link.unknown_heading": "Dydyn ni ddim yn adnabod y ddolen hon",
    "link.unknown_body": (
        "Gwiriwch eich bod wedi agor y ddolen gyfan o'ch neges. Efallai bod neges fwy newydd wedi disodli'r "
        "ddolen hon: os felly, defnyddiwch honno."
    ),
    "link.unknown_nothing": "Os nad yw'n gweithio o hyd, does dim byd sydd angen i chi ei wneud.",
    "unsubscribe.confirm_title": "Atal negeseuon",
    "unsubscribe.confirm_heading": "Atal y negeseuon hyn?",
    "unsubscribe.confirm_body": (
        "Fyddwn ni ddim yn anfon rhagor o negeseuon atoch, drwy e-bost na neges destun. Gallwch eu dechrau eto "
        "unrhyw bryd."
    ),
    "unsubscribe.stop_button": "Atal negeseuon",
    "unsubscribe.stopped_title": "Negeseuon wedi'u hatal",
    "unsubscribe.stopped_heading": "Fyddwch chi ddim yn cael rhagor o negeseuon",
    "unsubscribe.stopped_body": ("Diolch am roi gwybod i ni. Os byddwch yn newid eich meddwl, gallwch eu dechrau eto."),
    "unsubscribe.start_button": "Dechrau negeseuon eto",
    "unsubscribe.resumed_title": "Negeseuon wedi ailddechrau",
    "unsubscribe.resumed_heading": "Bydd negeseuon yn dechrau eto",
    "unsubscribe.resumed_body": "Byddwn yn cysylltu ar yr amser nesaf a drefnwyd. Diolch.",
    "unsubscribe.invalid_title": "Dolen heb ei hadnabod",
    "unsubscribe.invalid_heading": "Dydyn ni ddim yn adnabod y ddolen hon",
    "unsubscribe.invalid_body": (
        "Efallai mai dim ond rhan ohoni a gopïwyd. Gallwch hefyd atal negeseuon testun unrhyw bryd drwy ateb STOP."
    ),
    "error.413_title": "Mae hyn yn rhy hir i'w anfon",
    "error.413_body": (
        "Mae'r hyn a anfonoch yn hirach nag y gall y dudalen hon ei gymryd. "
        "Ewch yn ôl, byrhewch eich sylw a'i anfon eto."
    ),
    "error.429_title": "Gormod o ymdrechion",
    "error.429_body": (
        "Bu llawer o ymdrechion o'r fan hon mewn amser byr. Arhoswch ychydig funudau a rhowch gynnig arall arni."
    ),
    "error.500_title": "Mae'n ddrwg gennym, aeth rhywbeth o'i le",
    "error.500_body": (
        "Mae'r broblem wedi'i chofnodi. "
        "Rhowch gynnig arall arni yn nes ymlaen: mae eich dolen yn dal i weithio nes iddi gau."
    ),
    "error.other_title": "Doedd dim modd dangos y dudalen hon",
    "error.other_body": (
        "Gwiriwch eich bod wedi agor y ddolen gyfan o'ch neges, neu rhowch gynnig arall arni yn nes ymlaen."
    ),
}
