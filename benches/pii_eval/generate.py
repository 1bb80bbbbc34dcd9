#!/usr/bin/env python3
"""Writes the labeled PII evaluation set: realistic support tickets, JSON tool outputs, CRM
notes, log lines and emails with ground-truth spans, plus hard negatives (order numbers that
fail Luhn, invalid SSN areas, version strings, timestamps, capitalized non-names).

Deterministic: the same seed gives the same bytes. Spans are code-point offsets (Python string
indexes), end exclusive. Entity names are guardrail's (`email`, `credit_card`, ...).

    python3 benches/pii_eval/generate.py [--seed 7] [--docs 600] > benches/pii_eval/eval.jsonl
"""
import argparse
import hashlib
import json
import random

# ---- checksums -------------------------------------------------------------------------

def luhn_complete(prefix, length, rng):
    digits = prefix + "".join(str(rng.randrange(10)) for _ in range(length - len(prefix) - 1))
    for check in "0123456789":
        s = digits + check
        total = 0
        for i, ch in enumerate(reversed(s)):
            d = int(ch)
            if i % 2 == 1:
                d *= 2
                if d > 9:
                    d -= 9
            total += d
        if total % 10 == 0:
            return s
    raise AssertionError


def luhn_ok(s):
    total = 0
    for i, ch in enumerate(reversed(s)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


IBAN_FORMATS = {"DE": (18, "n"), "GB": (18, "GB"), "FR": (23, "n"), "ES": (20, "n"), "NL": (14, "NL"), "IT": (23, "IT")}


def iban(rng):
    country = rng.choice(sorted(IBAN_FORMATS))
    n, kind = IBAN_FORMATS[country]
    if kind == "GB":
        bban = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(4)) + "".join(str(rng.randrange(10)) for _ in range(14))
    elif kind == "NL":
        bban = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(4)) + "".join(str(rng.randrange(10)) for _ in range(10))
    elif kind == "IT":
        bban = rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") + "".join(str(rng.randrange(10)) for _ in range(22))
    else:
        bban = "".join(str(rng.randrange(10)) for _ in range(n))
    num = "".join(str(int(c, 36)) for c in bban + country + "00")
    check = 98 - int(num) % 97
    code = f"{country}{check:02d}{bban}"
    if rng.random() < 0.6:
        return " ".join(code[i:i + 4] for i in range(0, len(code), 4))
    return code


def ssn(rng):
    while True:
        area = rng.randrange(1, 900)
        if area != 666:
            break
    return f"{area:03d}-{rng.randrange(1, 100):02d}-{rng.randrange(1, 10000):04d}"


def nhs(rng):
    while True:
        d = [rng.randrange(10) for _ in range(9)]
        s = sum(x * w for x, w in zip(d, range(10, 1, -1)))
        c = (11 - s % 11) % 11
        if c != 10:
            s = "".join(map(str, d)) + str(c)
            return f"{s[:3]} {s[3:6]} {s[6:]}"


def sin(rng):
    s = luhn_complete(str(rng.choice([1, 2, 3, 4, 5, 6, 7, 9])), 9, rng)
    return f"{s[:3]}-{s[3:6]}-{s[6:]}" if rng.random() < 0.5 else f"{s[:3]} {s[3:6]} {s[6:]}"


VD = [[0,1,2,3,4,5,6,7,8,9],[1,2,3,4,0,6,7,8,9,5],[2,3,4,0,1,7,8,9,5,6],[3,4,0,1,2,8,9,5,6,7],[4,0,1,2,3,9,5,6,7,8],[5,9,8,7,6,0,4,3,2,1],[6,5,9,8,7,1,0,4,3,2],[7,6,5,9,8,2,1,0,4,3],[8,7,6,5,9,3,2,1,0,4],[9,8,7,6,5,4,3,2,1,0]]
VP = [[0,1,2,3,4,5,6,7,8,9],[1,5,7,6,2,8,3,0,9,4],[5,8,0,3,7,9,6,1,4,2],[8,9,1,6,0,4,3,5,2,7],[9,4,5,3,1,2,6,8,7,0],[4,2,8,6,5,7,3,9,0,1],[2,7,9,3,8,0,6,4,1,5],[7,0,4,6,9,1,3,2,5,8]]
VINV = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9]


def aadhaar(rng):
    base = str(rng.randrange(2, 10)) + "".join(str(rng.randrange(10)) for _ in range(10))
    c = 0
    for i, ch in enumerate(reversed(base)):
        c = VD[c][VP[(i + 1) % 8][int(ch)]]
    s = base + str(VINV[c])
    return f"{s[:4]} {s[4:8]} {s[8:]}"


def de_tax_id(rng):
    while True:
        digits = rng.sample(range(10), 9)
        if digits[0] == 0:
            continue
        digits.insert(rng.randrange(1, 10), rng.choice(digits))
        product = 10
        for d in digits:
            s = (d + product) % 10 or 10
            product = (s * 2) % 11
        check = (11 - product) % 10
        return "".join(map(str, digits)) + str(check)


NIF_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def nif(rng):
    n = rng.randrange(10**7, 10**8)
    return f"{n}{NIF_LETTERS[n % 23]}"


def nie(rng):
    p = rng.choice("XYZ")
    n = rng.randrange(10**6, 10**7)
    full = int(str("XYZ".index(p)) + f"{n:07d}")
    return f"{p}{n:07d}{NIF_LETTERS[full % 23]}"


CF_ODD = [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23]


def codice_fiscale(rng):
    L = "BCDFGHLMNPRSTVZ"
    body = "".join(rng.choice(L) for _ in range(6)) + f"{rng.randrange(40, 99)}" + rng.choice("ABCDEHLMPRST") + f"{rng.randrange(1, 71):02d}" + rng.choice("ABCDEFGHILMZ") + f"{rng.randrange(100, 999)}"
    total = 0
    for i, ch in enumerate(body):
        idx = int(ch) if ch.isdigit() else ord(ch) - 65
        total += CF_ODD[idx] if i % 2 == 0 else idx
    return body + chr(65 + total % 26)


def pan(rng):
    up = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return "".join(rng.choice(up) for _ in range(3)) + rng.choice("PCHFT") + rng.choice(up) + f"{rng.randrange(1000, 9999)}" + rng.choice(up)


def nino(rng):
    first = "ABCEGHJKLMNOPRSTWXYZ"
    second = "ABCEGHJKLMNPRSTWXYZ"
    while True:
        p = rng.choice(first) + rng.choice(second)
        if p not in ("BG", "GB", "NK", "KN", "TN", "NT", "ZZ"):
            break
    d = f"{rng.randrange(10**6):06d}"
    s = rng.choice("ABCD")
    return f"{p} {d[:2]} {d[2:4]} {d[4:]} {s}" if rng.random() < 0.5 else f"{p}{d}{s}"


B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def btc_base58(rng):
    payload = bytes([rng.choice([0x00, 0x05])]) + bytes(rng.randrange(256) for _ in range(20))
    full = payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    n = int.from_bytes(full, "big")
    out = ""
    while n:
        n, r = divmod(n, 58)
        out = B58[r] + out
    return "1" * (len(full) - len(full.lstrip(b"\0"))) + out


BECH = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def bech32_polymod(values):
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if ((top >> i) & 1) else 0
    return chk


def btc_bech32(rng):
    data = [0] + [rng.randrange(32) for _ in range(32)]
    hrp = "bc"
    values = [ord(x) >> 5 for x in hrp] + [0] + [ord(x) & 31 for x in hrp] + data
    polymod = bech32_polymod(values + [0] * 6) ^ 1
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(BECH[d] for d in data + checksum)


ETH_EIP55 = ["0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
             "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb"]


def wallet(rng):
    r = rng.random()
    if r < 0.4:
        return btc_base58(rng)
    if r < 0.7:
        return btc_bech32(rng)
    if r < 0.85:
        return rng.choice(ETH_EIP55)
    return "0x" + "".join(rng.choice("0123456789abcdef") for _ in range(40))


def card(rng):
    kind = rng.choice(["visa", "visa", "mc", "amex", "disc"])
    if kind == "visa":
        n = luhn_complete("4" + str(rng.randrange(10)), 16, rng)
    elif kind == "mc":
        n = luhn_complete(str(rng.randrange(51, 56)), 16, rng)
    elif kind == "amex":
        n = luhn_complete(rng.choice(["34", "37"]), 15, rng)
        return rng.choice([n, f"{n[:4]} {n[4:10]} {n[10:]}"])
    else:
        n = luhn_complete("6011", 16, rng)
    style = rng.random()
    if style < 0.4:
        return " ".join(n[i:i + 4] for i in range(0, 16, 4))
    if style < 0.7:
        return "-".join(n[i:i + 4] for i in range(0, 16, 4))
    return n


def phone(rng):
    d = lambda k: "".join(str(rng.randrange(10)) for _ in range(k))
    a = lambda: str(rng.randrange(2, 10)) + d(2)
    forms = [
        lambda: f"({a()}) {a()}-{d(4)}",
        lambda: f"{a()}-{a()}-{d(4)}",
        lambda: f"+1 {a()} {a()} {d(4)}",
        lambda: f"+1-{a()}-{a()}-{d(4)}",
        lambda: f"+44 20 {rng.randrange(7000, 8999)} {d(4)}",
        lambda: f"+44 7{d(3)} {d(6)}",
        lambda: f"020 {rng.randrange(7000, 8999)} {d(4)}",
        lambda: f"07{d(3)} {d(6)}",
        lambda: f"+49 30 {d(7)}",
        lambda: f"+49 151 {d(8)}",
        lambda: f"030 {d(7)}",
        lambda: f"+33 {rng.randrange(1, 8)} {d(2)} {d(2)} {d(2)} {d(2)}",
        lambda: f"0{rng.randrange(1, 8)} {d(2)} {d(2)} {d(2)} {d(2)}",
        lambda: f"+91 {rng.randrange(6, 10)}{d(4)} {d(5)}",
        lambda: f"+55 11 9{d(4)} {d(4)}",
        lambda: f"+81 90-{d(4)}-{d(4)}",
        lambda: f"090-{d(4)}-{d(4)}",
        lambda: f"+61 4{d(2)} {d(3)} {d(3)}",
        lambda: f"+34 6{d(2)} {d(3)} {d(3)}",
        lambda: f"+39 06 {d(4)} {d(4)}",
        lambda: f"+31 6 {d(8)}",
        lambda: f"+86 138 {d(4)} {d(4)}",
        lambda: f"+52 55 {d(4)} {d(4)}",
        lambda: f"+972 54-{d(3)}-{d(4)}",
        lambda: f"+27 82 {d(3)} {d(4)}",
        lambda: f"+46 70 {d(3)} {d(2)} {d(2)}",
        lambda: f"+48 {d(3)} {d(3)} {d(3)}",
    ]
    return rng.choice(forms)()


FIRST = ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
         "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Carlos", "Karen",
         "Daniel", "Nancy", "Matthew", "Lisa", "Anthony", "Emily", "Kevin", "Laura", "Brian", "Rachel", "Maria",
         "Angela", "Olivia", "Ethan", "Sophia", "Noah", "Emma", "Liam", "Ava", "Lucas"]
LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
        "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
        "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
        "Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores"]
# Names from outside the US census lists: recall on these shows the gazetteer's limit.
INTL = ["Oluwaseun Adeyemi", "Siobhan O'Neill", "Zhang Wei", "Priya Raghunathan", "Lars Lindqvist",
        "Mateusz Kowalczyk", "Aiko Tanaka", "Chidi Okonkwo", "Ingrid Fjeldstad", "Thandiwe Mbeki",
        "Dmitri Volkov", "Anh Tran", "Fatima Al-Sayed", "Giulia Bianchi", "Joaquim Ferreira"]


def person(rng):
    r = rng.random()
    if r < 0.25:
        return rng.choice(INTL)
    if r < 0.35:
        return f"{rng.choice(FIRST)} {rng.choice('ABCDEFGHJKLMNPRSTW')}. {rng.choice(LAST)}"
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


STREETS = ["Maple", "Oak", "Cedar", "Pine", "Elm", "Washington", "Lake", "Hill", "Park", "Sunset", "Lincoln", "Highland"]
TYPES = ["Street", "St.", "Avenue", "Ave", "Road", "Drive", "Lane", "Boulevard", "Court", "Way"]
CITIES = [("Springfield", "IL"), ("Austin", "TX"), ("Portland", "OR"), ("Denver", "CO"), ("Columbus", "OH"), ("Madison", "WI")]


def address(rng):
    r = rng.random()
    if r < 0.55:
        c, s = rng.choice(CITIES)
        unit = f", Apt {rng.randrange(1, 40)}{rng.choice('ABCD')}" if rng.random() < 0.3 else ""
        return f"{rng.randrange(10, 9999)} {rng.choice(STREETS)} {rng.choice(TYPES)}{unit}, {c}, {s} {rng.randrange(10000, 99999)}"
    if r < 0.75:
        return f"{rng.randrange(1, 400)} {rng.choice(STREETS)} {rng.choice(TYPES)}"
    if r < 0.85:
        return f"{rng.randrange(1, 300)} {rng.choice(['Baker', 'High', 'Church', 'Victoria'])} Street, London NW1 {rng.randrange(1, 9)}XE"
    if r < 0.93:
        return f"{rng.choice(['Haupt', 'Bahnhof', 'Schiller', 'Goethe'])}straße {rng.randrange(1, 120)}, {rng.randrange(10000, 99999)} Berlin"
    return f"PO Box {rng.randrange(100, 9999)}"


def ipv4(rng):
    return ".".join(str(rng.randrange(1, 255)) for _ in range(4))


def ipv6(rng):
    groups = [f"{rng.randrange(0x10000):x}" for _ in range(8)]
    if rng.random() < 0.5:
        return "2001:db8::" + ":".join(groups[:3])
    return ":".join(groups)


def mac(rng):
    sep = rng.choice([":", "-"])
    return sep.join(f"{rng.randrange(256):02X}" for _ in range(6))


def dob(rng):
    y, m, d = rng.randrange(1940, 2005), rng.randrange(1, 13), rng.randrange(1, 29)
    months = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
    return rng.choice([f"{y}-{m:02d}-{d:02d}", f"{m:02d}/{d:02d}/{y}", f"{months[m - 1]} {d}, {y}", f"{d} {months[m - 1]} {y}"])


def passport(rng):
    return rng.choice("ACEFGHKLMNPRSTXZ") + f"{rng.randrange(10**7, 10**8)}" if rng.random() < 0.5 else f"{rng.randrange(10**8, 10**9)}"


def url_creds(rng):
    user = rng.choice(["admin", "deploy", "svc_backup", "root", "ci-bot"])
    pw = "".join(rng.choice("abcdefghijkmnpqrstuvwxyzABCDEFGH23456789") for _ in range(12))
    host = rng.choice(["db.internal.example.com", "ftp.example.org", "10.2.3.4:5432", "registry.example.net"])
    return f"{rng.choice(['https', 'postgres', 'ftp', 'redis'])}://{user}:{pw}@{host}/{rng.choice(['prod', 'backups', 'v2/data'])}"


def email_addr(rng, name=None):
    first, last = (name or f"{rng.choice(FIRST)} {rng.choice(LAST)}").split(" ")[0], rng.choice(LAST)
    dom = rng.choice(["example.com", "mail.example.org", "acme.io", "contoso.co.uk", "globex.de"])
    return rng.choice([f"{first.lower()}.{last.lower()}@{dom}", f"{first[0].lower()}{last.lower()}{rng.randrange(99)}@{dom}"])


# ---- hard negatives (no PII in them) ------------------------------------------------------

def bad_card(rng):
    while True:
        n = "4" + "".join(str(rng.randrange(10)) for _ in range(15))
        if not luhn_ok(n):
            return n


def negatives(rng):
    return rng.choice([
        f"Order #{bad_card(rng)} shipped",
        f"ref {rng.choice(['666', '900', '000'])}-{rng.randrange(10, 99)}-{rng.randrange(1000, 9999)} (test record)",
        f"upgraded to v{rng.randrange(1, 20)}.{rng.randrange(0, 30)}.{rng.randrange(0, 9)}",
        f"build {rng.randrange(1, 9)}.{rng.randrange(0, 99)}.{rng.randrange(100, 999)}",
        f"at 2024-{rng.randrange(1, 13):02d}-{rng.randrange(1, 28):02d}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}Z",
        f"request id {hashlib.sha1(str(rng.random()).encode()).hexdigest()}",
        f"trace {hashlib.md5(str(rng.random()).encode()).hexdigest()[:8]}-{hashlib.md5(str(rng.random()).encode()).hexdigest()[:4]}-4a1b-9c2d-{hashlib.md5(str(rng.random()).encode()).hexdigest()[:12]}",
        f"tracking 1Z{rng.randrange(10**5, 10**6)}A{rng.randrange(10**9, 10**10)}",
        f"invoice INV-2024-{rng.randrange(10000, 99999)} for ${rng.randrange(10, 9999)}.{rng.randrange(100):02d}",
        f"ticket #{rng.randrange(10000, 99999)}",
        f"quantity {rng.randrange(100000, 999999)} units",
        "the Customer Success Team will follow up",
        "Visa Platinum and Mastercard Gold are accepted",
        "Will Update the Status on Monday",
        "Mark as read, then Grant access",
        f"port {rng.randrange(1024, 65535)} open, latency {rng.randrange(1, 999)} ms",
        f"SKU {rng.choice('ABCDEFGH')}{rng.randrange(10, 99)}-{rng.randrange(1000, 9999)}",
        "New York Stock Exchange closed early",
        f"the ratio was 3:{rng.randrange(2, 9)}:{rng.randrange(2, 9)}",
        f"call std::vector<int>::size() in Main.cpp line {rng.randrange(10, 999)}",
    ])


# ---- documents ----------------------------------------------------------------------------

class Doc:
    def __init__(self):
        self.parts = []
        self.spans = []
        self.len = 0

    def t(self, s):
        self.parts.append(s)
        self.len += len(s)

    def e(self, entity, value):
        self.spans.append({"start": self.len, "end": self.len + len(value), "entity": entity})
        self.t(value)

    def done(self, kind):
        return {"kind": kind, "text": "".join(self.parts), "spans": self.spans}


def ticket(rng):
    d = Doc()
    name = person(rng)
    d.t(f"Ticket #{rng.randrange(10000, 99999)} - {rng.choice(['Billing issue', 'Cannot log in', 'Refund request', 'Address change'])}\n")
    d.t("Customer: ")
    d.e("person", name)
    d.t("\nEmail: ")
    d.e("email", email_addr(rng, name if " " in name and "." not in name else None))
    d.t("\nPhone: ")
    d.e("phone", phone(rng))
    d.t("\n\nHi team, the customer says their card ")
    d.e("credit_card", card(rng))
    d.t(f" was charged twice. {negatives(rng)}. Please refund to IBAN ")
    d.e("iban", iban(rng))
    d.t(". Shipping address: ")
    d.e("address", address(rng))
    d.t(f".\n{negatives(rng)}.\n")
    return d.done("ticket")


def tool_json(rng):
    d = Doc()
    d.t('{"user": {"id": ' + str(rng.randrange(10**5, 10**6)) + ', "name": "')
    d.e("person", person(rng))
    d.t('", "email": "')
    d.e("email", email_addr(rng))
    d.t('", "ssn": "')
    d.e("us_ssn", ssn(rng))
    d.t('", "dob": "')
    d.e("date_of_birth", dob(rng))
    d.t('", "last_login_ip": "')
    d.e("ip_address", ipv4(rng) if rng.random() < 0.6 else ipv6(rng))
    d.t('", "device_mac": "')
    d.e("mac_address", mac(rng))
    d.t('", "created": "2023-0' + str(rng.randrange(1, 9)) + '-1' + str(rng.randrange(0, 9)) + 'T08:00:00Z", "plan": "pro", "version": "')
    d.t(f"{rng.randrange(1, 5)}.{rng.randrange(0, 20)}.{rng.randrange(0, 9)}")
    d.t('", "note": "' + negatives(rng) + '"}, "status": "ok"}')
    return d.done("tool_output")


def crm_note(rng):
    d = Doc()
    d.t(f"CRM note {rng.randrange(1, 28):02d}/0{rng.randrange(1, 9)}: Spoke with ")
    d.e("person", person(rng))
    d.t(" about the renewal. ")
    r = rng.random()
    if r < 0.2:
        d.t("UK client, NHS number ")
        d.e("uk_nhs", nhs(rng))
        d.t(", NI number ")
        d.e("uk_nino", nino(rng))
    elif r < 0.35:
        d.t("Canadian SIN ")
        d.e("ca_sin", sin(rng))
    elif r < 0.5:
        d.t("Aadhaar ")
        d.e("in_aadhaar", aadhaar(rng))
        d.t(" and PAN ")
        d.e("in_pan", pan(rng))
    elif r < 0.62:
        d.t("DNI ")
        d.e("es_nif", nif(rng))
        d.t(", NIE del socio ")
        d.e("es_nie", nie(rng))
    elif r < 0.74:
        d.t("codice fiscale ")
        d.e("it_fiscal_code", codice_fiscale(rng))
    elif r < 0.86:
        d.t("Steuer-ID ")
        d.e("de_tax_id", de_tax_id(rng))
    else:
        d.t("passport number ")
        d.e("us_passport", passport(rng))
    d.t(". Pays in crypto to wallet ")
    d.e("crypto_wallet", wallet(rng))
    d.t(f". Follow up with {rng.choice(['the Account Team', 'Customer Success', 'Legal'])} next {rng.choice(['Monday', 'Friday'])}. ")
    d.t(negatives(rng) + ".")
    return d.done("crm_note")


def logs(rng):
    d = Doc()
    for _ in range(rng.randrange(3, 7)):
        ts = f"2024-0{rng.randrange(1, 9)}-{rng.randrange(10, 28)}T{rng.randrange(10, 23)}:{rng.randrange(10, 59)}:{rng.randrange(10, 59)}.{rng.randrange(100, 999)}Z"
        r = rng.random()
        d.t(ts + " ")
        if r < 0.25:
            d.t("INFO login ok user=")
            d.e("email", email_addr(rng))
            d.t(" ip=")
            d.e("ip_address", ipv4(rng))
        elif r < 0.4:
            d.t("WARN connecting with ")
            d.e("url_credentials", url_creds(rng))
        elif r < 0.55:
            d.t("DEBUG dhcp lease mac=")
            d.e("mac_address", mac(rng))
            d.t(" addr=")
            d.e("ip_address", ipv6(rng))
        elif r < 0.7:
            d.t("ERROR payment declined card=")
            d.e("credit_card", card(rng))
        else:
            d.t("INFO " + negatives(rng))
        d.t("\n")
    return d.done("log")


def email_doc(rng):
    d = Doc()
    to = person(rng)
    sender = person(rng)
    d.t("From: ")
    d.e("email", email_addr(rng))
    d.t("\nSubject: Re: your account\n\nDear ")
    d.e("person", to)
    d.t(",\n\nThanks for your call. As discussed, I updated your mobile to ")
    d.e("phone", phone(rng))
    d.t(" and your date of birth to ")
    d.e("date_of_birth", dob(rng))
    d.t(". " + rng.choice(["Your new card arrives in 5 days.", "We also received your driver's license scan.", "Your Visa statement is attached."]))
    d.t(f" {negatives(rng)}.\n\nBest regards,\n")
    d.e("person", sender)
    d.t("\nCustomer Care, Acme Corp\n")
    return d.done("email")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--docs", type=int, default=600)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    kinds = [ticket, tool_json, crm_note, logs, email_doc]
    for i in range(args.docs):
        print(json.dumps(kinds[i % len(kinds)](rng), ensure_ascii=False))


if __name__ == "__main__":
    main()
