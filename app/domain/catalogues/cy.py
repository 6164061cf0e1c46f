"""Welsh (Cymraeg) SMS templates, by key: a FIRST DRAFT that needs review by a qualified translator before
use with real clients (docs/languages.md, hazard log). Texts that carry a link or the service's name avoid
letters outside GSM-7 (no circumflex needed in the chosen words) so they keep 153 characters a segment;
the crisis signposting keeps 999, NHS 111 option 2 and Samaritans 116 123, and adds the Samaritans' Welsh
line 0808 164 0123.
"""

from __future__ import annotations

from typing import Final

TEXTS: Final[dict[str, str]] = {
    "opt_out": "Atebwch STOPIO i stopio.",
    "months": "Ionawr Chwefror Mawrth Ebrill Mai Mehefin Gorffennaf Awst Medi Hydref Tachwedd Rhagfyr",
    "change_options": "1 llawer gwell, 2 ychydig gwell, 3 yr un fath, 4 ychydig gwaeth, 5 llawer gwaeth",
    "change_question": "O gymharu gyda'r dechrau, sut ydych chi nawr? Atebwch {change_options}.",
    "duration_question": "Ers faint ydych chi wedi bod fel rydych chi nawr? e.e. 3 wythnos, 2 fis",
    "usual_self_options": "1 ydw, yn llwyr\n2 gan amlaf, dim ond ychydig o symptomau ysgafn\n3 nac ydw",
    "usual_self_question": "Ydych chi'n teimlo fel chi eich hun eto?\n{usual_self_options}",
    "sorry": "Mae'n ddrwg gennym, doedden ni ddim yn deall.",
    "crisis_short": "999 mewn argyfwng, GIG 111 (opsiwn 2), Samariaid 116 123 (Cymraeg 0808 164 0123)",
    "link_line": "Neu atebwch yma:\n{link}\n",
    "first_message": "Helo gan {name}. {question}\n{link_line}{opt_out}",
    "thanks_then": "Diolch. {question}",
    "reask_change": "{sorry} Atebwch gydag un rhif: {change_options}, o gymharu gyda'r tro cyntaf i chi fynd.",
    "reask_duration": (
        "{sorry} {duration_question}. Rhowch rif ac wythnosau, misoedd neu flynyddoedd, neu atebwch: ers i mi orffen"
    ),
    "reask_usual_self": "{sorry} Ydych chi'n teimlo fel chi eich hun eto? Atebwch 1, 2 neu 3:\n{usual_self_options}",
    "clarification": "{number} wythnos neu {number} mis? Atebwch W neu M",
    "clarification_generic": "Ai wythnosau neu fisoedd yw hynny? Atebwch W neu M",
    "thank_you": (
        "Diolch, dyna'r cyfan sydd ei angen. Mae eich atebion yn mynd i'r gwerthusiad annibynnol, nid i {name}. "
        "Cymerwch ofal."
    ),
    "reminder": "Atgoffa gan {name}: {question}\n{link_line}{opt_out}",
    "change_options_again_link": (
        "Mae'n ddrwg gennym, doedden ni dal ddim yn gallu dweud. Gallwch ateb ar y dudalen hon yn lle:\n{link}\n"
        "Neu atebwch gydag un rhif o 1 (llawer gwell) i 5 (llawer gwaeth)."
    ),
    "change_options_again": (
        "Mae'n ddrwg gennym, doedden ni dal ddim yn gallu dweud. O gymharu gyda'r tro cyntaf i chi fynd, atebwch "
        "gydag un rhif yn unig:\n1 llawer gwell\n2 ychydig yn well\n3 yr un fath\n4 ychydig yn waeth\n5 llawer gwaeth"
    ),
    "crisis_signposting": (
        "Os ydych mewn perygl neu'n meddwl niweidio eich hun, ffoniwch 999 nawr. Am help brys unrhyw bryd, "
        "ffoniwch GIG 111 a dewis opsiwn 2, neu'r Samariaid am ddim ar 116 123 (yn Gymraeg: 0808 164 0123). "
        "Does dim rhaid i chi wynebu hyn ar eich pen eich hun."
    ),
    "help_about_service": "bobl a ddefnyddiodd {name}",
    "help_about_any": "bobl sydd wedi defnyddio gwasanaeth",
    "help_contact": " Cyswllt: {contact}.",
    "help": (
        "Mae Stillwell yn holi {about} sut maen nhw, i werthuso gwasanaethau'n annibynnol.{reach} "
        "{opt_out} Brys: {crisis_short}."
    ),
    "opt_out_confirmation": (
        "Rydych wedi optio allan ac ni chewch ragor o negeseuon gennym. "
        "Atebwch DECHRAU os byddwch yn newid eich meddwl."
    ),
    "resume_confirmation": "Croeso yn ôl. Byddwn yn anfon neges atoch y tro nesaf a drefnwyd. {opt_out}",
    "closed_no_month": "Mae'r cyfnod holi hwn wedi cau, diolch. Does dim rhagor o holi wedi'i drefnu.",
    "closed": "Mae'r cyfnod holi hwn wedi cau, diolch. Byddwn mewn cysylltiad tua mis {month}.",
    "unknown_sender": (
        "Diolch am eich neges. Doedden ni ddim yn gallu ei pharu gyda'r rhif hwn, felly does dim i'w wneud."
    ),
    "wrong_number": (
        "Diolch am roi gwybod i ni, ac mae'n ddrwg gennym am eich poeni. Ni fyddwn yn anfon neges i'r rhif hwn eto."
    ),
    "bereavement": (
        "Mae'n ddrwg iawn gennym am eich colled, ac mae'n ddrwg gennym am eich poeni. "
        "Ni fyddwn yn anfon neges i'r rhif hwn eto."
    ),
}
