#!/usr/bin/env python3
"""Validate demo.json (Onhand demo content) and print summary counts.

Usage: python3 check_demo.py [path/to/demo.json]
Exits non-zero if any rule is violated. Standard library only.
"""
import json
import os
import re
import sys
from collections import Counter
from urllib.parse import urlparse

CATEGORIES = {
    "art-music": ["drawing-painting", "guitar", "piano", "singing", "music-production", "photography"],
    "computers-electronics": ["laptop-repair", "phones-tablets", "networking-wifi", "programming", "software-help", "smart-home"],
    "cooking": ["baking", "world-cuisine", "healthy-cooking", "knife-skills", "drinks"],
    "education-careers": ["languages", "math-science", "test-prep", "interviews-resumes", "career-coaching", "writing"],
    "fashion-beauty": ["makeup", "hair", "personal-styling", "skincare", "sewing"],
    "fitness-nutrition": ["yoga", "personal-training", "nutrition-coaching", "running", "pilates"],
    "health": ["counseling", "dietetics", "physical-therapy", "sleep", "lactation"],
    "home-garden": ["gardening", "plumbing", "electrical", "interior-design", "woodworking", "organizing"],
}

# ISO 639-1 codes (complete list).
ISO639_1 = set("""
aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz ee el en eo es
et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj
kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv
ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti
tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu
""".split())

# ISO 3166-1 alpha-2 codes (complete list of officially assigned codes).
ISO3166 = set("""
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD
CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF
GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN
KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA
NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI
SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI
VN VU WF WS YE YT ZA ZM ZW
""".split())

HALF_HOUR_ZONES = {"Asia/Kolkata", "Asia/Calcutta", "America/St_Johns", "Australia/Adelaide", "Australia/Darwin",
                   "Australia/Broken_Hill", "Asia/Colombo", "Asia/Tehran", "Asia/Kabul", "Asia/Yangon", "Pacific/Marquesas"}
QUARTER_HOUR_ZONES = {"Asia/Kathmandu", "Asia/Katmandu", "Australia/Eucla", "Pacific/Chatham"}

ORG_KEYS = {"key", "name", "description", "owner", "members"}
PROVIDER_KEYS = {"key", "display_name", "email", "headline", "bio", "languages", "time_zone", "country", "experience", "licence"}
LISTING_KEYS = {"provider", "organization", "title", "description", "category", "subcategory", "tags", "languages",
                "intro_video_url", "price", "session_minutes", "group_size", "cancellation", "featured"}

KEY_RE = re.compile(r"^[a-z][a-z0-9_-]{1,39}$")
TAG_RE = re.compile(r"^[a-z0-9][a-z0-9 -]*[a-z0-9]$")

# --- contact-info / off-platform payment detection -------------------------------------------
NUMBER_WORDS = r"(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)"
CONTACT_PATTERNS = [
    ("email address", re.compile(r"[A-Za-z0-9._%+-]+\s*(?:@|\(at\)|\[at\])\s*[A-Za-z0-9-]+\s*(?:\.|\(dot\)|\[dot\]|\bdot\b)\s*[A-Za-z]{2,}", re.I)),
    ("obfuscated email", re.compile(r"\b\w+\s+at\s+\w+\s*(?:\.|\bdot\b)\s*(?:com|net|org|io|co|me|info|biz|edu|gov|app|dev)\b", re.I)),
    ("url", re.compile(r"(?:https?://|www\.|\b[a-z0-9-]+\.(?:com|net|org|io|co|me|info|biz|app|dev|ly|gg|tv|link|site|online|xyz)\b)", re.I)),
    ("phone / long digit run", re.compile(r"(?:\+\s*)?(?:\d[\s().\-/]{0,3}){7,}")),
    ("spelled-out digits", re.compile(rf"\b{NUMBER_WORDS}(?:[\s,-]+{NUMBER_WORDS}\b){{4,}}", re.I)),
    ("payment/messaging handle", re.compile(r"paypal|venmo|cash\s*app|zelle|whats\s*app|telegram|signal\s+me|wechat|kakao\s*talk|@", re.I)),
    ("cashtag", re.compile(r"\$[A-Za-z]")),
    ("contact me phrase", re.compile(r"\b(?:call|text|phone|ring|dm|message|email|contact)\s+me\s+(?:at|on|directly)\b|\bmy\s+(?:number|cell|mobile)\s+is\b", re.I)),
]

SENTENCE_END_RE = re.compile(r"[.!?。！？؟।]+(?=\s|$)|[。！？]")


def count_sentences(text):
    return len([p for p in SENTENCE_END_RE.split(text.strip()) if p.strip()])


def valid_timezone(name):
    try:
        import zoneinfo
        try:
            zoneinfo.ZoneInfo(name)
            return True
        except Exception:
            return False
    except ImportError:  # python < 3.9: fall back to the system tz database
        return os.path.isfile(os.path.join("/usr/share/zoneinfo", name))


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "demo.json")
    errors = []

    def err(msg):
        errors.append(msg)

    with open(path, encoding="utf-8") as f:
        data = json.load(f)

    if set(data.keys()) != {"organizations", "providers", "listings"}:
        err(f"top-level keys must be organizations/providers/listings, got {sorted(data.keys())}")
    orgs = data.get("organizations", [])
    providers = data.get("providers", [])
    listings = data.get("listings", [])

    def scan_contact(where, text):
        for label, rx in CONTACT_PATTERNS:
            m = rx.search(text)
            if m:
                err(f"{where}: looks like {label}: {m.group(0)!r}")

    def check_str(where, value, lo, hi):
        if not isinstance(value, str):
            err(f"{where}: must be a string")
            return False
        if not (lo <= len(value) <= hi):
            err(f"{where}: length {len(value)} not in {lo}..{hi}")
        if value != value.strip() or "  " in value:
            err(f"{where}: stray whitespace")
        if re.search(r"lorem|ipsum|listing \d+|provider \d+|todo|tbd|xxx", value, re.I):
            err(f"{where}: placeholder text")
        return True

    # ---------------- providers ----------------
    pkeys, emails, names = Counter(), Counter(), Counter()
    prov_by_key = {}
    for i, p in enumerate(providers):
        w = f"provider[{i}:{p.get('key')}]"
        if set(p.keys()) != PROVIDER_KEYS:
            err(f"{w}: keys mismatch {sorted(set(p.keys()) ^ PROVIDER_KEYS)}")
            continue
        pkeys[p["key"]] += 1
        emails[p["email"].lower()] += 1
        names[p["display_name"]] += 1
        prov_by_key[p["key"]] = p
        if not KEY_RE.match(p["key"]):
            err(f"{w}: bad key")
        check_str(f"{w}.display_name", p["display_name"], 3, 60)
        if not re.fullmatch(r"[a-z0-9._-]+@demo\.onhand\.test", p["email"]):
            err(f"{w}: email must be at demo.onhand.test")
        if check_str(f"{w}.headline", p["headline"], 10, 120):
            scan_contact(f"{w}.headline", p["headline"])
        if check_str(f"{w}.bio", p["bio"], 80, 2000):
            scan_contact(f"{w}.bio", p["bio"])
            n = count_sentences(p["bio"])
            if not 3 <= n <= 5:
                err(f"{w}.bio: {n} sentences, want 3..5")
        if check_str(f"{w}.experience", p["experience"], 20, 600):
            scan_contact(f"{w}.experience", p["experience"])
        langs = p["languages"]
        if not isinstance(langs, list) or not langs or len(set(langs)) != len(langs):
            err(f"{w}: languages must be a non-empty list without duplicates")
        else:
            for l in langs:
                if l not in ISO639_1:
                    err(f"{w}: language {l!r} is not ISO 639-1")
        if not valid_timezone(p["time_zone"]):
            err(f"{w}: invalid IANA time zone {p['time_zone']!r}")
        if p["country"] not in ISO3166:
            err(f"{w}: invalid country {p['country']!r}")
        lic = p["licence"]
        if lic is not None:
            if not (isinstance(lic, dict) and set(lic.keys()) == {"number", "authority"}
                    and isinstance(lic["number"], str) and lic["number"].strip()
                    and isinstance(lic["authority"], str) and len(lic["authority"]) >= 5):
                err(f"{w}: malformed licence {lic!r}")
    for label, c in (("provider key", pkeys), ("email", emails), ("display name", names)):
        for k, n in c.items():
            if n > 1:
                err(f"duplicate {label}: {k}")

    # ---------------- organizations ----------------
    okeys = Counter(o.get("key") for o in orgs)
    for k, n in okeys.items():
        if n > 1:
            err(f"duplicate organization key {k}")
    org_by_key = {}
    member_of = {}
    if len(orgs) < 3:
        err(f"need at least 3 organizations, have {len(orgs)}")
    for i, o in enumerate(orgs):
        w = f"organization[{i}:{o.get('key')}]"
        if set(o.keys()) != ORG_KEYS:
            err(f"{w}: keys mismatch {sorted(set(o.keys()) ^ ORG_KEYS)}")
            continue
        org_by_key[o["key"]] = o
        if o["key"] in prov_by_key:
            err(f"{w}: key collides with a provider key")
        if not KEY_RE.match(o["key"]):
            err(f"{w}: bad key")
        check_str(f"{w}.name", o["name"], 3, 80)
        if check_str(f"{w}.description", o["description"], 40, 2000):
            scan_contact(f"{w}.description", o["description"])
            n = count_sentences(o["description"])
            if not 2 <= n <= 3:
                err(f"{w}.description: {n} sentences, want 2..3")
        members = o["members"]
        if not isinstance(members, list) or not 3 <= len(members) <= 6 or len(set(members)) != len(members):
            err(f"{w}: must have 3..6 distinct members")
        if o["owner"] not in prov_by_key:
            err(f"{w}: owner {o['owner']!r} is not a provider")
        if o["owner"] not in members:
            err(f"{w}: owner must be listed in members")
        for m in members:
            if m not in prov_by_key:
                err(f"{w}: member {m!r} is not a provider")
            if m in member_of:
                err(f"provider {m} belongs to more than one organization ({member_of[m]}, {o['key']})")
            member_of[m] = o["key"]

    # ---------------- listings ----------------
    cat_count, sub_count, price_count, lang_count = Counter(), Counter(), Counter(), Counter()
    health_providers = set()
    org_cats = {}  # org key -> categories its listings are in
    groups = featured = videos = 0
    titles = Counter()
    for i, l in enumerate(listings):
        w = f"listing[{i}:{l.get('title')!r}]"
        if set(l.keys()) != LISTING_KEYS:
            err(f"{w}: keys mismatch {sorted(set(l.keys()) ^ LISTING_KEYS)}")
            continue
        titles[(l["provider"], l["title"])] += 1
        prov = prov_by_key.get(l["provider"])
        if prov is None:
            err(f"{w}: unknown provider {l['provider']!r}")
        if l["organization"] is not None:
            o = org_by_key.get(l["organization"])
            if o is None:
                err(f"{w}: unknown organization {l['organization']!r}")
            elif l["provider"] not in o["members"] and l["provider"] != o["owner"]:
                err(f"{w}: provider is not a member of {l['organization']}")
            else:
                org_cats.setdefault(o["key"], set()).add(l["category"])
        if check_str(f"{w}.title", l["title"], 5, 100):
            scan_contact(f"{w}.title", l["title"])
        if check_str(f"{w}.description", l["description"], 40, 4000):
            scan_contact(f"{w}.description", l["description"])
            n = count_sentences(l["description"])
            if not 2 <= n <= 5:
                err(f"{w}.description: {n} sentences, want 2..5")
        cat, sub = l["category"], l["subcategory"]
        if cat not in CATEGORIES:
            err(f"{w}: unknown category {cat!r}")
        elif sub not in CATEGORIES[cat]:
            err(f"{w}: subcategory {sub!r} not in {cat}")
        cat_count[cat] += 1
        sub_count[(cat, sub)] += 1
        tags = l["tags"]
        if not isinstance(tags, list) or len(tags) > 8 or len(set(tags)) != len(tags):
            err(f"{w}: tags must be a list of up to 8 distinct tags")
        else:
            for t in tags:
                if not (isinstance(t, str) and 2 <= len(t) <= 30 and TAG_RE.match(t)):
                    err(f"{w}: bad tag {t!r}")
                else:
                    scan_contact(f"{w}.tag", t)
        langs = l["languages"]
        if not isinstance(langs, list) or not langs or len(set(langs)) != len(langs):
            err(f"{w}: languages must be a non-empty list without duplicates")
        elif prov is not None:
            extra = set(langs) - set(prov["languages"])
            if extra:
                err(f"{w}: languages {sorted(extra)} not spoken by provider")
            for lg in langs:
                lang_count[lg] += 1
        url = l["intro_video_url"]
        if url is not None:
            videos += 1
            u = urlparse(url) if isinstance(url, str) else None
            host = (u.hostname or "") if u else ""
            if not (u and u.scheme == "https" and (host == "example.com" or host.endswith(".example.com"))):
                err(f"{w}: intro_video_url must be an https example.com URL, got {url!r}")
        price = l["price"]
        model = price.get("model") if isinstance(price, dict) else None
        if model == "free":
            if set(price.keys()) != {"model"}:
                err(f"{w}: free price must only have model")
        elif model == "fixed":
            a = price.get("amount_minor")
            if set(price.keys()) != {"model", "amount_minor"} or not isinstance(a, int) or isinstance(a, bool) or not 500 <= a <= 25000:
                err(f"{w}: fixed price must have amount_minor 500..25000, got {price!r}")
        elif model == "per_minute":
            a, m = price.get("amount_minor"), price.get("minimum_minutes")
            if (set(price.keys()) != {"model", "amount_minor", "minimum_minutes"}
                    or not isinstance(a, int) or isinstance(a, bool) or not 50 <= a <= 600
                    or not isinstance(m, int) or isinstance(m, bool) or not 5 <= m <= 30):
                err(f"{w}: per_minute price must have amount_minor 50..600 and minimum_minutes 5..30, got {price!r}")
            elif m > l["session_minutes"]:
                err(f"{w}: minimum_minutes exceeds session length")
        else:
            err(f"{w}: unknown price model {price!r}")
        price_count[model] += 1
        if l["session_minutes"] not in (15, 20, 30, 45, 60, 90):
            err(f"{w}: bad session_minutes {l['session_minutes']!r}")
        g = l["group_size"]
        if not isinstance(g, int) or isinstance(g, bool) or not 1 <= g <= 12:
            err(f"{w}: group_size must be 1..12")
        elif g >= 2:
            groups += 1
        if l["cancellation"] not in ("flexible", "moderate", "strict"):
            err(f"{w}: bad cancellation {l['cancellation']!r}")
        if not isinstance(l["featured"], bool):
            err(f"{w}: featured must be boolean")
        elif l["featured"]:
            featured += 1
        if cat == "health":
            health_providers.add(l["provider"])
            if prov is not None and prov["licence"] is None:
                err(f"{w}: health listing by unlicensed provider {l['provider']}")

    for (pk, t), n in titles.items():
        if n > 1:
            err(f"provider {pk} has duplicate listing title {t!r}")

    # licence iff health listings
    for k, p in prov_by_key.items():
        if p["licence"] is not None and k not in health_providers:
            err(f"provider {k} has a licence but no health listings (licence must be null)")
    # health orgs: every member licensed
    for ok, cats in org_cats.items():
        if "health" in cats:
            for m in org_by_key[ok]["members"]:
                if m in prov_by_key and prov_by_key[m]["licence"] is None:
                    err(f"organization {ok} offers health listings but member {m} is unlicensed")
    # member listings in the org's line of business must carry the org key
    for l in listings:
        if not isinstance(l, dict) or set(l.keys()) != LISTING_KEYS:
            continue
        ok = member_of.get(l["provider"])
        if ok and l["organization"] is None and l["category"] in org_cats.get(ok, set()):
            err(f"listing {l['title']!r} by {l['provider']} is {ok}'s business ({l['category']}) but has no organization")
    for ok in org_by_key:
        if ok not in org_cats:
            err(f"organization {ok} has no listings")

    # ---------------- aggregate requirements ----------------
    n_list = len(listings)
    if len(providers) < 44:
        err(f"need at least 44 providers, have {len(providers)}")
    if n_list < 160:
        err(f"need at least 160 listings, have {n_list}")
    for cat, subs in CATEGORIES.items():
        if cat_count[cat] < 12:
            err(f"category {cat} has {cat_count[cat]} listings, need 12")
        for s in subs:
            if sub_count[(cat, s)] < 1:
                err(f"subcategory {cat}/{s} unused")
    zones = Counter(p["time_zone"] for p in prov_by_key.values())
    countries = Counter(p["country"] for p in prov_by_key.values())
    if len(zones) < 12:
        err(f"need at least 12 time zones, have {len(zones)}")
    if not zones.keys() & HALF_HOUR_ZONES:
        err("need a provider in a 30-minute-offset time zone")
    if not zones.keys() & QUARTER_HOUR_ZONES:
        err("need a provider in a 45-minute-offset time zone")
    if len(countries) < 12:
        err(f"need at least 12 countries, have {len(countries)}")
    if len(lang_count) < 7:
        err(f"need listings in at least 7 languages, have {len(lang_count)}")
    if n_list:
        for model, frac in (("free", 0.20), ("fixed", 0.30), ("per_minute", 0.20)):
            if price_count[model] < frac * n_list:
                err(f"{model} listings are {price_count[model]}/{n_list}, need at least {int(frac * 100)}%")
    if groups < 15:
        err(f"need at least 15 group listings, have {groups}")
    if not 8 <= featured <= 16:
        err(f"about 12 listings should be featured, have {featured}")

    # ---------------- report ----------------
    print(f"file:           {path}")
    print(f"organizations:  {len(orgs)}  ({', '.join('%s=%d' % (o['key'], len(o['members'])) for o in orgs if isinstance(o, dict) and 'members' in o)})")
    print(f"providers:      {len(providers)}  (licensed: {sum(1 for p in prov_by_key.values() if p['licence'])})")
    print(f"listings:       {n_list}")
    print("by category:    " + ", ".join(f"{c}={cat_count[c]}" for c in CATEGORIES))
    print(f"subcategories:  {len(sub_count)} used of {sum(len(v) for v in CATEGORIES.values())}")
    if n_list:
        print("price models:   " + ", ".join(f"{m}={price_count[m]} ({100 * price_count[m] / n_list:.1f}%)" for m in ("free", "fixed", "per_minute")))
    print(f"group listings: {groups}   featured: {featured}   with intro video: {videos}")
    print(f"listing langs:  {len(lang_count)} ({', '.join(f'{k}={v}' for k, v in lang_count.most_common())})")
    print(f"time zones:     {len(zones)}   countries: {len(countries)}")
    if errors:
        print(f"\nFAILED with {len(errors)} error(s):")
        for e in errors:
            print("  - " + e)
        sys.exit(1)
    print("\nOK: all checks passed")


if __name__ == "__main__":
    main()
