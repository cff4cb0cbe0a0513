#!/usr/bin/env python3
"""Regenerate the labelled secret-scanning corpus (files + labels.json).

usage: python3 gen.py    # rewrites every file next to it except gen.py

Every value is drawn from a fixed-seed generator, so running it twice gives
the same bytes. Templates mark values as:

  «kind|gen»   a planted secret of label kind `kind`, value from generator `gen`
  «~gen»       a random value that is not a secret (a decoy's payload)
  «{kind» «}»  a planted secret spanning the lines between the two marks
  «d»          a decoy on this line (removed; only counted)
  «TAB»        a tab character

labels.json lists {"file", "line", "kind"} for every planted secret, plus
"end_line" when the secret spans several lines. Decoys are unlabelled.
Go templates are written with four-space indents and converted to tabs.
"""
import base64
import json
import os
import random
import re
import shutil
import string
import struct
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
R = random.Random(20240611)

UP, LO, DG = string.ascii_uppercase, string.ascii_lowercase, string.digits
AL = UP + LO + DG
HEX = "0123456789abcdef"
B62 = DG + UP + LO
B64 = UP + LO + DG + "+/"
URLSAFE = AL + "-_"


def rs(alphabet, n):
    return "".join(R.choice(alphabet) for _ in range(n))


def rb(n):
    return bytes(R.randrange(256) for _ in range(n))


def b64(b):
    return base64.b64encode(b).decode()


def b64u(b):
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


def lead(alphabet, n):
    """n characters of alphabet, starting with a letter."""
    return R.choice(UP + LO) + rs(alphabet, n - 1)


# --- passwords ----------------------------------------------------------

WORDS = ["Winter", "Summer", "Autumn", "Spring", "Dragon", "Monkey", "Sunshine", "Football",
         "Shadow", "Falcon", "Phoenix", "Raptor", "Mustang", "Galaxy", "Orange", "Matrix",
         "Hunter", "Ranger", "Silver", "Coffee", "Rainbow", "Pepper", "Tigger", "Charlie",
         "Bluebird", "Thunder", "Maverick", "Kestrel", "Harbor", "Granite", "Lighthouse",
         "Cobalt", "Juniper", "Voyager", "Zephyr", "Acme", "Nimbus", "Atlas", "Orion", "Quartz"]
LEET = str.maketrans({"a": "@", "e": "3", "o": "0", "i": "1", "s": "$"})
SYMS = "!@*.-_+?"
URLSYMS = "!*.-_+"


def leet(w):
    # "$" is interpolated by shells, dotenv and compose; keep it out. The
    # first letter stays, so YAML does not read "@" as an indicator.
    return w[0] + w[1:].translate(LEET).replace("$", "5")


def pwh(syms=SYMS):
    """A password a person would pick."""
    w1, w2 = R.choice(WORDS), R.choice(WORDS)
    year = str(R.choice([2019, 2020, 2021, 2022, 2023, 2024]))
    form = R.randrange(6)
    if form == 0:
        return w1 + year + R.choice(syms)
    if form == 1:
        return leet(w1.lower()) + R.choice(syms) + w2 + str(R.randint(10, 99))
    if form == 2:
        return w1 + R.choice(syms) + w2 + R.choice(syms) + str(R.randint(1, 999))
    if form == 3:
        return leet(w1) + leet(w2.lower()) + str(R.randint(1, 99))
    if form == 4:
        return "s3cr3t" + w1[:3] + R.choice(syms) + str(R.randint(10, 99))
    return w1.lower() + R.choice(syms) + year + w2


def pwr():
    return lead(AL + SYMS, R.randint(16, 24))


def pwr_semi():
    """Random password safe inside ';'-separated connection strings."""
    return lead(AL + "!*.-_+?", R.randint(16, 24))


def pwu():
    return lead(AL + "-_", R.randint(16, 28))


# --- keys and PEM blocks ------------------------------------------------

def wrap(s, width):
    return "\n".join(s[i:i + width] for i in range(0, len(s), width))


def pem_block(label, der, width=64):
    return "-----BEGIN %s-----\n%s\n-----END %s-----" % (label, wrap(b64(der), width), label)


def rsa_der():
    return bytes.fromhex("308204a40201000282010100") + rb(1180)


def pkcs8_der():
    return bytes.fromhex("308204be020100300d06092a864886f70d0101010500048204a8308204a40201000282010100") + rb(1180)


def ec_der():
    return (bytes.fromhex("30770201010420") + rb(32) + bytes.fromhex("a00a06082a8648ce3d030107a14403420004")
            + rb(64))


def rsa_pem():
    return pem_block("RSA PRIVATE KEY", rsa_der())


def pkcs8_pem():
    return pem_block("PRIVATE KEY", pkcs8_der())


def ec_pem():
    return pem_block("EC PRIVATE KEY", ec_der())


def sshstr(b):
    return struct.pack(">I", len(b)) + b


def ed25519_pair(comment):
    pub = rb(32)
    pubblob = sshstr(b"ssh-ed25519") + sshstr(pub)
    check = rb(4)
    priv = check + check + pubblob + sshstr(rb(32) + pub) + sshstr(comment.encode())
    pad = 1
    while len(priv) % 8:
        priv += bytes([pad])
        pad += 1
    blob = (b"openssh-key-v1\0" + sshstr(b"none") + sshstr(b"none") + sshstr(b"") + struct.pack(">I", 1)
            + sshstr(pubblob) + sshstr(priv))
    private = "-----BEGIN OPENSSH PRIVATE KEY-----\n%s\n-----END OPENSSH PRIVATE KEY-----" % wrap(b64(blob), 70)
    public = "ssh-ed25519 %s %s" % (b64(pubblob), comment)
    return private, public


def pgp_private():
    body = b64(bytes.fromhex("9503c604") + rb(900))
    crc = b64(rb(3))
    return ("-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n%s\n=%s\n-----END PGP PRIVATE KEY BLOCK-----"
            % (wrap(body, 64), crc))


def pgp_public():
    body = b64(bytes.fromhex("99018d04") + rb(400))
    return ("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n%s\n=%s\n-----END PGP PUBLIC KEY BLOCK-----"
            % (wrap(body, 64), b64(rb(3))))


def cert_der():
    return bytes.fromhex("308203") + rb(2) + bytes.fromhex("308202") + rb(780)


def cert_pem():
    return pem_block("CERTIFICATE", cert_der())


def pubkey_pem():
    return pem_block("PUBLIC KEY", bytes.fromhex("30820122300d06092a864886f70d01010105000382010f003082010a0282010100")
                     + rb(262))


def pem_json():
    """A PKCS#8 key as it sits in a JSON string."""
    return pkcs8_pem().replace("\n", "\\n") + "\\n"


# --- token formats ------------------------------------------------------

def macaroon_field(typ, data):
    return bytes([typ, len(data)]) + data


def pypi_token():
    """A PyPI API token: "pypi-" + base64url of a v2 binary macaroon
    (location pypi.org, an identifier, one caveat, a 32-byte signature)."""
    ident = ("{\"version\": 1, \"id\": \"%s\"}" % rs(HEX, 32)).encode()
    caveat = ("{\"version\": 1, \"permissions\": {\"projects\": [\"%s\"]}}" % rs(string.ascii_lowercase, 8)).encode()
    sig = bytes(R.randrange(256) for _ in range(32))
    raw = (b"\x02" + macaroon_field(1, b"pypi.org") + macaroon_field(2, ident) + b"\x00"
           + macaroon_field(2, caveat) + b"\x00" + b"\x00" + macaroon_field(6, sig))
    return "pypi-" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def glsa_token():
    """A Grafana service-account token: glsa_ + 32 alnum + _ + the hex of
    the little-endian CRC-32 of everything before the last underscore."""
    head = "glsa_" + rs(AL, 32)
    return head + "_" + struct.pack("<I", zlib.crc32(head.encode()) & 0xFFFFFFFF).hex()


def crc_token(prefix):
    body = rs(AL, 30)
    n, s = zlib.crc32(body.encode()) & 0xFFFFFFFF, ""
    while n:
        n, r = divmod(n, 62)
        s = B62[r] + s
    return prefix + body + s.rjust(6, "0")


def jwt(header, claims, siglen=32):
    enc = lambda o: b64u(json.dumps(o, separators=(",", ":")).encode())
    return "%s.%s.%s" % (enc(header), enc(claims), b64u(rb(siglen)))


def jwt_hs():
    iat = R.randint(1700000000, 1716000000)
    return jwt({"alg": "HS256", "typ": "JWT"},
               {"sub": str(R.randint(1000, 99999)), "role": R.choice(["admin", "service", "ops"]),
                "iat": iat, "exp": iat + 31536000})


def jwt_rs():
    iat = R.randint(1700000000, 1716000000)
    return jwt({"alg": "RS256", "typ": "JWT", "kid": rs(URLSAFE, 16)},
               {"iss": "https://auth.acme.io/", "sub": "svc-" + rs(LO, 6), "aud": "api.acme.io",
                "scope": "orders:read orders:write", "iat": iat, "exp": iat + 86400 * 365}, 256)


def k8s_jwt():
    return jwt({"alg": "RS256", "kid": rs(URLSAFE, 43)},
               {"iss": "kubernetes/serviceaccount", "kubernetes.io/serviceaccount/namespace": "ci",
                "kubernetes.io/serviceaccount/secret.name": "ci-deployer-token-" + rs(LO + DG, 5),
                "kubernetes.io/serviceaccount/service-account.name": "ci-deployer",
                "sub": "system:serviceaccount:ci:ci-deployer"}, 256)


def supabase_jwt():
    return jwt({"alg": "HS256", "typ": "JWT"},
               {"iss": "supabase", "ref": rs(LO, 20), "role": "service_role",
                "iat": 1700000000, "exp": 2015576000})


def uuid4():
    h = rs(HEX, 32)
    h = h[:12] + "4" + h[13:16] + R.choice("89ab") + h[17:]
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


def user_pass_b64(user):
    return b64(("%s:%s" % (user, pwr())).encode())


def dockerconfigjson():
    auth = user_pass_b64("robot$ci")
    doc = {"auths": {"registry.acme.internal": {"username": "robot$ci", "auth": auth}}}
    return b64(json.dumps(doc, separators=(",", ":")).encode())


def glc():
    doc = {"o": str(R.randint(100000, 999999)), "n": "stack-%d-hm-write-prod" % R.randint(100000, 999999),
           "k": rs(AL, 24), "m": {"r": "prod-eu-west-2"}}
    return "glc_" + b64(json.dumps(doc, separators=(",", ":")).encode())


def mapbox_pk():
    return "pk." + b64u(json.dumps({"u": "acme-maps", "a": rs(LO + DG, 25)}, separators=(",", ":")).encode()) + \
        "." + rs(URLSAFE, 22)


def vault_lines():
    return "\n".join(rs(HEX, 80) for _ in range(R.randint(4, 7))) + "\n" + rs(HEX, R.randrange(20, 78, 2))


def vault_indented():
    return vault_lines().replace("\n", "\n          ")


def sops(n):
    return "ENC[AES256_GCM,data:%s,iv:%s,tag:%s,type:str]" % (b64(rb(n)), b64(rb(32)), b64(rb(16)))


def bcrypt():
    return "$2b$12$" + rs("./" + AL, 53)


def argon2():
    return "$argon2id$v=19$m=65536,t=3,p=4$%s$%s" % (b64(rb(16)).rstrip("="), b64(rb(32)).rstrip("="))


def apple_asp():
    return "-".join(rs(LO, 4) for _ in range(4))


GEN = {
    # passwords
    "pwh": pwh,
    "pwhu": lambda: pwh(URLSYMS),
    "pwr": pwr,
    "pwr_semi": pwr_semi,
    "pwu": pwu,
    "pwr_url": pwu,
    "apple_asp": apple_asp,
    "sesv4": lambda: "B" + rs(AL + "+/", 43),
    "azredis": lambda: b64(rb(32)),
    # cloud
    "akid": lambda: "AKIA" + rs(UP + "234567", 16),
    "asia": lambda: "ASIA" + rs(UP + "234567", 16),
    "awssec": lambda: rs(AL + "+/", 40),
    "awssess": lambda: "IQoJb3JpZ2luX2VjE" + rs(B64, 340),
    "gapi": lambda: "AIza" + rs(URLSAFE, 35),
    "gocspx": lambda: "GOCSPX-" + rs(URLSAFE, 28),
    "gclientid": lambda: "%d-%s.apps.googleusercontent.com" % (R.randint(10**11, 10**12 - 1), rs(LO + DG, 32)),
    "pem_json": pem_json,
    "azkey": lambda: b64(rb(64)),
    "azsecret": lambda: rs(AL, 3) + "8Q~" + rs(AL + "_~.-", 34),
    "azsas": lambda: ("sv=2022-11-02&ss=bfqt&srt=sco&sp=rwdlacupiytfx&se=2026-12-31T23:59:59Z"
                      "&st=2024-01-01T00:00:00Z&spr=https&sig=" + b64(rb(32)).replace("+", "%2B")
                      .replace("/", "%2F").replace("=", "%3D")),
    "alikey": lambda: "LTAI5t" + rs(AL, 18),
    "alisecret": lambda: rs(AL, 30),
    "dop": lambda: "dop_v1_" + rs(HEX, 64),
    # vcs and ci
    "ghp": lambda: crc_token("ghp_"),
    "gho": lambda: crc_token("gho_"),
    "ghs": lambda: crc_token("ghs_"),
    "ghfg": lambda: "github_pat_11" + rs(UP + DG, 20) + "_" + rs(AL, 59),
    "glpat": lambda: "glpat-" + rs(URLSAFE, 20),
    "glptt": lambda: "glptt-" + rs(HEX, 40),
    "glrt": lambda: "glrt-" + rs(URLSAFE, 20),
    "npm": lambda: crc_token("npm_"),
    "pypi": lambda: pypi_token(),
    "dckr": lambda: "dckr_pat_" + rs(URLSAFE, 27),
    "sqp": lambda: "sqp_" + rs(HEX, 40),
    "tfc": lambda: rs(AL, 14) + ".atlasv1." + rs(AL, 67),
    "hvs": lambda: "hvs.CAESI" + rs(URLSAFE, 86),
    "pulumi": lambda: "pul-" + rs(HEX, 40),
    "doppler": lambda: "dp.st.prd." + rs(AL, 40),
    "atatt": lambda: "ATATT3xFfGF0" + rs(URLSAFE, 170) + "=" + rs(HEX.upper(), 8),
    # saas
    "xoxb": lambda: "xoxb-%d-%d-%s" % (R.randint(10**10, 10**12), R.randint(10**12, 10**13), rs(AL, 24)),
    "xoxp": lambda: "xoxp-%d-%d-%d-%s" % (R.randint(10**10, 10**12), R.randint(10**10, 10**12),
                                          R.randint(10**12, 10**13), rs(HEX, 32)),
    "xapp": lambda: "xapp-1-A%s-%d-%s" % (rs(UP + DG, 10), R.randint(10**12, 10**13), rs(HEX, 64)),
    "slackhook": lambda: "https://hooks.slack.com/services/T%s/B%s/%s" % (rs(UP + DG, 8), rs(UP + DG, 10), rs(AL, 24)),
    "stripe_sk": lambda: "sk_live_51" + rs(AL, 97),
    "stripe_rk": lambda: "rk_live_51" + rs(AL, 97),
    "stripe_pk": lambda: "pk_live_51" + rs(AL, 97),
    "whsec": lambda: "whsec_" + rs(AL, 32),
    "sendgrid": lambda: "SG." + rs(URLSAFE, 22) + "." + rs(URLSAFE, 43),
    "mailgun": lambda: "key-" + rs(HEX, 32),
    "twilio_sk": lambda: "SK" + rs(HEX, 32),
    "openai": lambda: "sk-" + rs(AL, 20) + "T3BlbkFJ" + rs(AL, 20),
    "openai_proj": lambda: "sk-proj-" + rs(URLSAFE, 74) + "T3BlbkFJ" + rs(URLSAFE, 74),
    "anthropic": lambda: "sk-ant-api03-" + rs(URLSAFE, 93) + "AA",
    "shpat": lambda: "shpat_" + rs(HEX, 32),
    "square": lambda: "EAAA" + rs(URLSAFE, 60),
    "braintree": lambda: "access_token$production$%s$%s" % (rs(LO + DG, 16), rs(HEX, 32)),
    "nrak": lambda: "NRAK-" + rs(UP + DG, 27),
    "nrlicense": lambda: rs(HEX, 36) + "NRAL",
    "discord": lambda: "https://discord.com/api/webhooks/%d/%s" % (R.randint(10**17, 10**18), rs(URLSAFE, 68)),
    "telegram": lambda: "%d:AA%s" % (R.randint(10**9, 10**10 - 1), rs(URLSAFE, 33)),
    "mailchimp": lambda: rs(HEX, 32) + "-us" + str(R.randint(1, 21)),
    "postman": lambda: "PMAK-" + rs(HEX, 24) + "-" + rs(HEX, 34),
    "hf": lambda: "hf_" + rs(UP + LO, 34),
    "dapi": lambda: "dapi" + rs(HEX, 32),
    "linear": lambda: "lin_api_" + rs(AL, 40),
    "notion": lambda: "secret_" + rs(AL, 43),
    "glsa": lambda: glsa_token(),
    "glc": glc,
    "cftoken": lambda: rs(URLSAFE, 40),
    "recap": lambda: "6L" + rs(URLSAFE, 38),
    "b2key": lambda: "K005" + rs(AL + "/+", 27),
    "mapbox_pk": mapbox_pk,
    # jwt and auth
    "jwt_hs": jwt_hs,
    "jwt_rs": jwt_rs,
    "k8s_jwt": k8s_jwt,
    "supabase": supabase_jwt,
    "basic": lambda: user_pass_b64(R.choice(["svc-sync", "integration", "deploy", "reporting"])),
    "dockerauth": lambda: user_pass_b64(R.choice(["acmeci", "deploy", "robot"])),
    "dockerconfigjson": dockerconfigjson,
    "b64pw": lambda: b64(pwh().encode()),
    "opaque40": lambda: rs(URLSAFE, 40),
    # private keys
    "rsa": rsa_pem,
    "pkcs8": pkcs8_pem,
    "ec": ec_pem,
    "pgp": pgp_private,
    "b64rsakey": lambda: b64((rsa_pem() + "\n").encode()),
    # generic shapes
    "hex20": lambda: rs(HEX, 20),
    "hex32": lambda: rs(HEX, 32),
    "hex40": lambda: rs(HEX, 40),
    "hex64": lambda: rs(HEX, 64),
    "hex128": lambda: rs(HEX, 128),
    "HEX40": lambda: rs(HEX.upper(), 40),
    "alnum20": lambda: rs(AL, 20),
    "alnum32": lambda: rs(AL, 32),
    "alnum40": lambda: rs(AL, 40),
    "alnum48": lambda: rs(AL, 48),
    "rand32": lambda: rs(AL, 32),
    "rand48": lambda: rs(AL, 48),
    "rand50": lambda: rs(AL, 50),
    "rand64": lambda: rs(AL, 64),
    "upper20": lambda: rs(UP, 20),
    "upper10": lambda: rs(UP + DG, 10),
    "b64_16": lambda: b64(rb(16)),
    "b64_32": lambda: b64(rb(32)),
    "b64_48": lambda: b64(rb(48)),
    "b64_64": lambda: b64(rb(64)),
    "b64_long": lambda: b64(rb(180)),
    "fernet": lambda: base64.urlsafe_b64encode(rb(32)).decode(),
    "django": lambda: rs(LO + DG + "!@#%^&*(-_=+)", 50),
    "wpsalt": lambda: rs(AL + "!@#%^&*()-_[]{}<>~`+=,.;:/?|", 64),
    "uuid": uuid4,
    "gitsha": lambda: rs(HEX, 40),
    "hex12": lambda: rs(HEX, 12),
    "digits6": lambda: rs(DG, 6),
    "digits7": lambda: rs(DG, 7),
    "digits15": lambda: rs(DG, 15),
    # decoy payloads
    "bcrypt": bcrypt,
    "argon2": argon2,
    "sha512crypt": lambda: "$6$%s$%s" % (rs(AL + "./", 16), rs(AL + "./", 86)),
    "apr1": lambda: "$apr1$%s$%s" % (rs(AL + "./", 8), rs(AL + "./", 22)),
    "vault": vault_lines,
    "vault_indented": vault_indented,
    "sops_short": lambda: sops(12),
    "sops_long": lambda: sops(48),
    "sealed": lambda: "AgB" + b64(rb(540)),
    "railsenc": lambda: "%s--%s--%s" % (b64(rb(150)), b64(rb(12)), b64(rb(16))),
    "cert": cert_pem,
    "pubkey": pubkey_pem,
    "pgp_public": pgp_public,
    "b64cert": lambda: b64((cert_pem() + "\n").encode()),
    "png": lambda: "iVBORw0KGgoAAAANSUhEUgAA" + b64(rb(300)),
    "sri": lambda: "sha512-" + b64(rb(64)),
}

MARK = re.compile(r"«([^»]*)»")


def render(path, template):
    """Expand one template; returns (text, labels, decoys)."""
    text = template.lstrip("\n")
    if path.endswith(".go"):
        text = re.sub(r"(?m)^((?:    )+)", lambda m: "\t" * (len(m.group(1)) // 4), text)
    text, decoys = re.subn(r"[ \t]*«d»", "", text)
    text = text.replace("«TAB»", "\t")
    out, labels, pos, block = [], [], 0, None
    for m in MARK.finditer(text):
        out.append(text[pos:m.start()])
        pos = m.end()
        spec = m.group(1)
        line = "".join(out).count("\n") + 1
        if spec.startswith("{"):
            block = (spec[1:], line)
        elif spec == "}":
            kind, start = block
            labels.append({"file": path, "line": start, "end_line": line, "kind": kind})
            block = None
        elif spec.startswith("~"):
            out.append(GEN[spec[1:]]())
        else:
            kind, gen = spec.split("|")
            value = GEN[gen]()
            label = {"file": path, "line": line}
            if "\n" in value:
                label["end_line"] = line + value.count("\n")
            label["kind"] = kind
            labels.append(label)
            out.append(value)
    out.append(text[pos:])
    if block is not None:
        sys.exit("%s: unclosed block %s" % (path, block))
    return "".join(out), labels, decoys


FILES = []


def f(path, template):
    FILES.append((path, template))


# --- shop-api: Node / TypeScript ------------------------------------------

f("shop-api/.env", r"""
# shop-api production environment (copied from the ops vault by hand)
NODE_ENV=production
PORT=8080
DATABASE_URL=postgres://shop_app:«postgres-url|pwhu»@shop-db.internal.acme.io:5432/shop
REDIS_URL=redis://default:«redis-url|pwu»@redis-14523.c1.eu-west-1-2.ec2.cloud.redislabs.com:14523
JWT_SECRET=«generic-secret|rand64»
STRIPE_SECRET_KEY=«stripe-secret-key|stripe_sk»
STRIPE_WEBHOOK_SECRET=«stripe-webhook-secret|whsec»
STRIPE_PUBLISHABLE_KEY=«~stripe_pk» «d»
SENDGRID_API_KEY=«sendgrid-api-key|sendgrid»
AWS_REGION=eu-west-1
AWS_ACCESS_KEY_ID=«aws-access-key-id|akid»
AWS_SECRET_ACCESS_KEY=«aws-secret-access-key|awssec»
S3_BUCKET=acme-shop-uploads-prod
SESSION_TTL_SECONDS=86400
""")

f("shop-api/.env.example", r"""
# Copy to .env and fill in real values. Never commit .env.
NODE_ENV=development
PORT=8080
DATABASE_URL=postgres://shop_app:<password>@localhost:5432/shop «d»
REDIS_URL=redis://localhost:6379/0 «d»
JWT_SECRET=change-me-to-a-long-random-string «d»
STRIPE_SECRET_KEY=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx «d»
STRIPE_WEBHOOK_SECRET= «d»
SENDGRID_API_KEY=SG.xxxxxxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx «d»
AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE «d»
AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY «d»
S3_BUCKET=acme-shop-uploads-dev
""")

f("shop-api/src/config.js", r"""
'use strict';

// Central configuration. Production values come from the environment.
module.exports = {
  port: Number(process.env.PORT || 8080),
  db: {
    host: process.env.DB_HOST || 'localhost',
    user: process.env.DB_USER || 'shop_app',
    password: process.env.DB_PASSWORD, «d»
  },
  redis: {
    url: process.env.REDIS_URL || 'redis://localhost:6379', «d»
  },
  // TODO(ops): move to the secrets manager before launch
  mailgun: {
    apiKey: '«mailgun-api-key|mailgun»',
    domain: 'mg.acme-shop.com',
  },
  googleMaps: {
    apiKey: '«gcp-api-key|gapi»',
  },
  slackWebhook: '«slack-webhook|slackhook»',
  admin: {
    email: 'ops@acme-shop.com',
    password: '«password|pwh»',
  },
  cookieSecret: process.env.COOKIE_SECRET || '«generic-secret|rand32»',
  passwordMinLength: 12, «d»
};
""")

f("shop-api/src/config/database.ts", r"""
import { DataSourceOptions } from 'typeorm';

export interface DbSettings {
  host: string;
  port: number;
  username: string;
  password: string; «d»
}

export const dataSource: DataSourceOptions = {
  type: 'postgres',
  host: process.env.PGHOST ?? 'localhost',
  port: 5432,
  username: 'shop_app',
  password: process.env.PGPASSWORD ?? '', «d»
  database: 'shop',
  ssl: { rejectUnauthorized: false },
};

export const reportingUrl =
  'postgresql://reporting_ro:«postgres-url|pwr_url»@analytics-db.acme.internal:5432/warehouse?sslmode=require';
""")

f("shop-api/src/services/payment.ts", r"""
import Stripe from 'stripe';
import twilio from 'twilio';

const stripe = new Stripe(process.env.STRIPE_SECRET_KEY!, { apiVersion: '2023-10-16' }); «d»

// SMS fallback for order notifications.
const TWILIO_ACCOUNT_SID = 'AC«~hex32»'; «d»
const TWILIO_AUTH_TOKEN = '«twilio-auth-token|hex32»';
const TWILIO_API_KEY = '«twilio-api-key|twilio_sk»';
export const sms = twilio(TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN);

export async function charge(amountCents: number, customer: string) {
  return stripe.paymentIntents.create({ amount: amountCents, currency: 'eur', customer });
}

export function refundKey(orderId: string): string {
  return `refund:${orderId}`; «d»
}
""")

f("shop-api/test/auth.test.ts", r"""
import { validatePassword, hashPassword } from '../src/auth';

describe('validatePassword', () => {
  it('rejects short passwords', () => {
    expect(validatePassword('abc')).toBe(false); «d»
  });

  it('rejects passwords without digits', () => {
    expect(validatePassword('correcthorsebattery')).toBe(false); «d»
  });

  it('accepts a long mixed password', () => {
    expect(validatePassword(generatePassword(20))).toBe(true); «d»
  });

  it('hashes with bcrypt', async () => {
    const hash = await hashPassword(generatePassword(16)); «d»
    expect(hash).toMatch(/^\$2[aby]\$12\$/);
  });

  it('never logs the password', () => {
    expect(logger.lines.join('\n')).not.toContain('password='); «d»
  });
});
""")

f("shop-api/.npmrc", r"""
registry=https://registry.npmjs.org/
@acme:registry=https://npm.pkg.github.com/
//npm.pkg.github.com/:_authToken=«github-pat|ghp»
//registry.npmjs.org/:_authToken=«npm-token|npm»
always-auth=true
""")

f("shop-api/package-lock.json", r"""
{
  "name": "shop-api",
  "version": "2.3.0",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "node_modules/stripe": {
      "version": "14.21.0",
      "resolved": "https://registry.npmjs.org/stripe/-/stripe-14.21.0.tgz",
      "integrity": "«~sri»" «d»
    },
    "node_modules/twilio": {
      "version": "4.23.0",
      "resolved": "https://registry.npmjs.org/twilio/-/twilio-4.23.0.tgz",
      "integrity": "«~sri»" «d»
    },
    "node_modules/jsonwebtoken": {
      "version": "9.0.2",
      "resolved": "https://registry.npmjs.org/jsonwebtoken/-/jsonwebtoken-9.0.2.tgz",
      "integrity": "«~sri»" «d»
    }
  }
}
""")

f("shop-api/docker-compose.yml", r"""
version: "3.9"
services:
  api:
    build: .
    environment:
      NODE_ENV: production
      DB_PASSWORD: ${DB_PASSWORD} «d»
      REDIS_URL: redis://cache:6379/0 «d»
    depends_on: [db, cache]
  db:
    image: postgres:16.2@sha256:«~hex64» «d»
    environment:
      POSTGRES_USER: shop_app
      POSTGRES_PASSWORD: «password|pwh»
      POSTGRES_DB: shop
  cache:
    image: redis:7-alpine
    command: ["redis-server", "--requirepass", "«password|pwr»"]
  mq:
    image: rabbitmq:3-management
    environment:
      RABBITMQ_DEFAULT_USER: shop
      RABBITMQ_DEFAULT_PASS_FILE: /run/secrets/rabbit_pass «d»
    secrets: [rabbit_pass]
  worker:
    image: ghcr.io/acme/shop-worker:1.4.2
    environment:
      AMQP_URL: amqp://shop:«amqp-url|pwu»@mq:5672/shop
      SMTP_URL: smtp://postmaster%40mg.acme-shop.com:«smtp-url|pwu»@smtp.mailgun.org:587
secrets:
  rabbit_pass:
    file: ./secrets/rabbit_pass.txt «d»
""")

f("shop-api/README.md", r"""
# shop-api

The order and payment API behind acme-shop.com.

## Configuration

Copy `.env.example` to `.env`. Stripe's documentation uses the test key
`sk_test_4eC39HqLyjWDarjtT1zdp7dc`; use your own test key locally. «d»
Secret keys start with `sk_live_` and publishable keys with `pk_live_`. «d»

Set `DB_PASSWORD` to the database password from the vault: «d»

    export DB_PASSWORD="$(vault kv get -field=password secret/shop/db)" «d»

## Trying it out

    curl -H "Authorization: Bearer <your-token>" https://api.acme-shop.com/v1/orders «d»

The staging smoke test runs as the `smoke` service account:

    curl -H "Authorization: Bearer «bearer-token|opaque40»" https://staging.acme-shop.com/v1/orders

Forgot your password? Use the "Reset password" link on the login page. «d»
""")

f("shop-api/.github/workflows/deploy.yml", r"""
name: deploy
on:
  push:
    branches: [main]
jobs:
  deploy:
    runs-on: ubuntu-latest
    env:
      NPM_TOKEN: ${{ secrets.NPM_TOKEN }} «d»
      AWS_ACCESS_KEY_ID: ${{ secrets.AWS_ACCESS_KEY_ID }} «d»
      AWS_SECRET_ACCESS_KEY: ${{ secrets.AWS_SECRET_ACCESS_KEY }} «d»
    steps:
      - uses: actions/checkout@«~gitsha» # v4.1.1 «d»
      - uses: actions/setup-node@«~gitsha» # v4.0.2 «d»
        with:
          node-version: 20
      - run: npm ci
      - name: Notify
        run: |
          curl -X POST -H 'Content-type: application/json' \
            --data '{"text":"shop-api deployed"}' \
            «slack-webhook|slackhook»
      - name: Upload sourcemaps
        env:
          SENTRY_AUTH_TOKEN: ${{ secrets.SENTRY_AUTH_TOKEN }} «d»
          DATADOG_API_KEY: «datadog-api-key|hex32»
        run: npx @datadog/datadog-ci sourcemaps upload ./dist
""")

# --- billing-service: Java / Spring ---------------------------------------

f("billing-service/src/main/resources/application.properties", r"""
spring.application.name=billing
server.port=8443
server.ssl.key-store=classpath:keystore.p12
server.ssl.key-store-password=«password|pwr»
server.ssl.key-store-type=PKCS12
spring.datasource.url=jdbc:postgresql://billing-db.prod.acme.internal:5432/billing
spring.datasource.username=billing
spring.datasource.password=«password|pwh»
spring.jpa.hibernate.ddl-auto=validate
spring.mail.host=smtp.office365.com
spring.mail.username=billing-noreply@acme.com
spring.mail.password=${MAIL_PASSWORD} «d»
spring.rabbitmq.addresses=amqps://billing:«amqp-url|pwu»@rabbit.prod.acme.internal:5671/billing
management.endpoints.web.exposure.include=health,info
security.password.min-length=12 «d»
security.password.history=5 «d»
""")

f("billing-service/src/main/resources/application-prod.yml", r"""
spring:
  datasource:
    url: jdbc:sqlserver://sql-billing.database.windows.net:1433;database=billing;user=billing_admin@sql-billing;password=«jdbc-password|pwr_semi»;encrypt=true;loginTimeout=30;
    hikari:
      maximum-pool-size: 20
  data:
    redis:
      host: billing-cache.redis.cache.windows.net
      port: 6380
      password: «password|azredis»
      ssl:
        enabled: true
  cloud:
    azure:
      storage:
        blob:
          connection-string: DefaultEndpointsProtocol=https;AccountName=acmebillingprod;AccountKey=«azure-storage-key|azkey»;EndpointSuffix=core.windows.net
      active-directory:
        credential:
          client-id: «~uuid» «d»
          client-secret: «azure-client-secret|azsecret»
        profile:
          tenant-id: «~uuid» «d»
billing:
  invoice:
    signing-key: ${INVOICE_SIGNING_KEY} «d»
    storage-sas: «azure-sas-token|azsas»
""")

f("billing-service/src/main/java/com/acme/billing/config/MailConfig.java", r"""
package com.acme.billing.config;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.mail.javamail.JavaMailSender;
import org.springframework.mail.javamail.JavaMailSenderImpl;

@Configuration
public class MailConfig {

    private static final String SMTP_HOST = "smtp.sendgrid.net";
    private static final String SMTP_USER = "apikey";
    private static final String SMTP_PASS = "«sendgrid-api-key|sendgrid»";

    @Value("${billing.mail.from}")
    private String from;

    @Bean
    public JavaMailSender mailSender() {
        JavaMailSenderImpl sender = new JavaMailSenderImpl();
        sender.setHost(SMTP_HOST);
        sender.setPort(587);
        sender.setUsername(SMTP_USER);
        sender.setPassword(SMTP_PASS); «d»
        return sender;
    }
}
""")

f("billing-service/src/main/java/com/acme/billing/legacy/LedgerClient.java", r"""
package com.acme.billing.legacy;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;

public class LedgerClient {
    private static final String URL =
        "jdbc:mysql://ledger-db.acme.internal:3306/ledger?user=ledger_rw&password=«jdbc-password|pwr_url»&useSSL=true";
    private static final String ORACLE_PASSWORD = "«password|pwh»";
    private final String apiToken = System.getenv("LEDGER_API_TOKEN"); «d»
    private String password; «d»

    public Connection open() throws SQLException {
        return DriverManager.getConnection(URL);
    }

    public Connection openReadOnly() throws SQLException {
        return DriverManager.getConnection(
            "jdbc:oracle:thin:@//ledger-ora.acme.internal:1521/LEDGER", "ledger_ro", ORACLE_PASSWORD);
    }

    public void setPassword(String password) { «d»
        this.password = password; «d»
    }
}
""")

f("billing-service/src/test/java/com/acme/billing/PasswordPolicyTest.java", r"""
package com.acme.billing;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class PasswordPolicyTest {
    private final PasswordPolicy policy = new PasswordPolicy(12);

    @Test
    void rejectsShortPassword() {
        assertFalse(policy.isValid("Sh0rt!")); «d»
    }

    @Test
    void rejectsCommonPassword() {
        assertFalse(policy.isValid("password123")); «d»
    }

    @Test
    void rejectsPasswordWithoutDigit() {
        assertFalse(policy.isValid("abcdefghijklmnop")); «d»
    }

    @Test
    void explainsMissingDigit() {
        assertEquals("password must contain a digit", policy.explain("abcdefghijkl")); «d»
    }
}
""")

f("billing-service/Jenkinsfile", r"""
pipeline {
    agent { label 'docker' }
    environment {
        REGISTRY = 'registry.acme.internal'
        REGISTRY_CREDS = credentials('registry-push') «d»
        SONAR_TOKEN = credentials('sonar-token') «d»
        NEXUS_PASSWORD = '«password|pwr»'
    }
    stages {
        stage('Build') {
            steps {
                sh './mvnw -B -s settings.xml package'
            }
        }
        stage('Publish') {
            steps {
                withCredentials([usernamePassword(credentialsId: 'nexus', usernameVariable: 'NEXUS_USER', passwordVariable: 'NEXUS_PASS')]) { «d»
                    sh 'docker login -u $NEXUS_USER -p $NEXUS_PASS $REGISTRY' «d»
                }
                sh "curl -fsS -u deploy:«password|pwhu» -T target/billing.jar https://nexus.acme.internal/repository/releases/"
            }
        }
    }
}
""")

f("billing-service/settings.xml", r"""
<?xml version="1.0" encoding="UTF-8"?>
<settings xmlns="http://maven.apache.org/SETTINGS/1.2.0">
  <servers>
    <server>
      <id>acme-releases</id>
      <username>deployer</username>
      <password>«password|pwr»</password>
    </server>
    <server>
      <id>acme-snapshots</id>
      <username>${env.NEXUS_USER}</username>
      <password>${env.NEXUS_PASSWORD}</password> «d»
    </server>
    <server>
      <id>github</id>
      <username>acme-ci</username>
      <password>«github-pat|ghp»</password>
    </server>
  </servers>
</settings>
""")

# --- infra: Terraform ------------------------------------------------------

f("infra/aws/main.tf", r"""
terraform {
  required_version = ">= 1.6"
  backend "s3" {
    bucket = "acme-terraform-state"
    key    = "prod/network.tfstate"
    region = "eu-west-1"
  }
}

provider "aws" {
  region     = "eu-west-1"
  access_key = "«aws-access-key-id|akid»"
  secret_key = "«aws-secret-access-key|awssec»"
}

resource "aws_db_instance" "main" {
  identifier        = "acme-prod"
  engine            = "postgres"
  instance_class    = "db.t3.medium"
  username          = "acme_admin"
  password          = var.db_password «d»
  allocated_storage = 100
}

resource "random_password" "redis" {
  length  = 32
  special = true
}

resource "aws_elasticache_replication_group" "cache" {
  replication_group_id       = "acme-cache"
  description                = "session cache"
  auth_token                 = random_password.redis.result «d»
  transit_encryption_enabled = true
}

data "aws_secretsmanager_secret_version" "grafana" {
  secret_id = "prod/grafana/admin-password" «d»
}

resource "aws_ssm_parameter" "datadog" {
  name  = "/prod/datadog/api_key"
  type  = "SecureString"
  value = "«datadog-api-key|hex32»"
}

variable "db_password" {
  description = "Master password for the RDS instance; pass it with TF_VAR_db_password." «d»
  type        = string
  sensitive   = true
}

variable "github_token" {
  description = "Token used by the GitHub provider."
  type        = string «d»
  sensitive   = true
  default     = "" «d»
}

variable "api_key" {
  type    = string
  default = "REPLACE_ME" «d»
}
""")


f("infra/aws/terraform.tfvars", r"""
environment          = "prod"
region               = "eu-west-1"
db_password          = "«password|pwh»"
github_token         = "«github-fine-grained-pat|ghfg»"
cloudflare_api_token = "«cloudflare-api-token|cftoken»"
datadog_app_key      = "«datadog-app-key|hex40»"
allowed_cidrs        = ["10.0.0.0/8", "192.168.0.0/16"]
vpc_id               = "vpc-0a1b2c3d4e5f67890" «d»
ami_id               = "ami-0c55b159cbfafe1f0" «d»
""")

f("infra/aws/terraform.tfstate", r"""
{
  "version": 4,
  "terraform_version": "1.6.6",
  "serial": 42,
  "lineage": "«~uuid»", «d»
  "resources": [
    {
      "mode": "managed",
      "type": "aws_iam_access_key",
      "name": "ci",
      "instances": [
        {
          "attributes": {
            "id": "«aws-access-key-id|akid»",
            "secret": "«aws-secret-access-key|awssec»",
            "ses_smtp_password_v4": "«password|sesv4»",
            "user": "ci-deployer",
            "status": "Active"
          }
        }
      ]
    },
    {
      "mode": "managed",
      "type": "random_password",
      "name": "redis",
      "instances": [
        {
          "attributes": {
            "bcrypt_hash": "«~bcrypt»", «d»
            "length": 32,
            "special": true
          }
        }
      ]
    }
  ]
}
""")

f("infra/gcp/main.tf", r"""
provider "google" {
  project     = "acme-analytics-prod"
  region      = "europe-west1"
  credentials = file("sa-terraform.json") «d»
}

resource "google_sql_user" "app" {
  name     = "app"
  instance = google_sql_database_instance.main.name
  password = "«password|pwr»"
}

resource "google_secret_manager_secret_version" "maps" {
  secret      = google_secret_manager_secret.maps.id
  secret_data = "«gcp-api-key|gapi»"
}

resource "google_sql_user" "readonly" {
  name     = "readonly"
  instance = google_sql_database_instance.main.name
  password = random_password.readonly.result «d»
}
""")

f("infra/azure/main.tf", r"""
provider "azurerm" {
  features {}
  subscription_id = "«~uuid»" «d»
  tenant_id       = "«~uuid»" «d»
  client_id       = "«~uuid»" «d»
  client_secret   = "«azure-client-secret|azsecret»"
}

resource "azurerm_mssql_server" "main" {
  name                         = "acme-sql-prod"
  resource_group_name          = "rg-data-prod"
  location                     = "westeurope"
  version                      = "12.0"
  administrator_login          = "sqladmin"
  administrator_login_password = "«password|pwh»"
}

resource "azurerm_key_vault_secret" "storage" {
  name         = "storage-connection"
  value        = azurerm_storage_account.main.primary_connection_string «d»
  key_vault_id = azurerm_key_vault.main.id
}
""")

f("infra/digitalocean/provider.tf", r"""
terraform {
  required_providers {
    digitalocean = {
      source  = "digitalocean/digitalocean"
      version = "~> 2.34"
    }
  }
}

provider "digitalocean" {
  token = "«digitalocean-token|dop»"
}

provider "alicloud" {
  access_key = "«alibaba-access-key-id|alikey»"
  secret_key = "«alibaba-secret-key|alisecret»"
  region     = "eu-central-1"
}
""")

# --- Kubernetes and Helm ---------------------------------------------------

f("k8s/base/deployment.yaml", r"""
apiVersion: apps/v1
kind: Deployment
metadata:
  name: orders
  labels:
    app: orders
spec:
  replicas: 3
  selector:
    matchLabels:
      app: orders
  template:
    metadata:
      labels:
        app: orders
    spec:
      containers:
        - name: orders
          image: registry.acme.internal/orders@sha256:«~hex64» «d»
          env:
            - name: DB_PASSWORD
              valueFrom:
                secretKeyRef:
                  name: orders-db «d»
                  key: password «d»
            - name: API_TOKEN
              valueFrom:
                secretKeyRef: {name: orders-api, key: token} «d»
            - name: LOG_LEVEL
              value: info
            - name: PAYMENT_API_KEY
              value: "«generic-api-key|alnum32»"
          volumeMounts:
            - name: tls
              mountPath: /etc/tls
      volumes:
        - name: tls
          secret:
            secretName: orders-tls «d»
""")

f("k8s/base/secret.yaml", r"""
apiVersion: v1
kind: Secret
metadata:
  name: orders-db
type: Opaque
data:
  username: b3JkZXJz
  password: «k8s-secret-base64|b64pw»
stringData:
  api-token: «generic-token|alnum40»
---
apiVersion: v1
kind: Secret
metadata:
  name: registry-pull
type: kubernetes.io/dockerconfigjson
data:
  .dockerconfigjson: «docker-config-auth|dockerconfigjson»
---
apiVersion: v1
kind: Secret
metadata:
  name: orders-tls
type: kubernetes.io/tls
data:
  tls.crt: «~b64cert» «d»
  tls.key: «private-key-base64|b64rsakey»
""")


f("k8s/base/config.yaml", r"""
apiVersion: v1
kind: ConfigMap
metadata:
  name: orders-config
data:
  auth.enabled: "true"
  password.minLength: "12" «d»
  password.requireSymbol: "true" «d»
  token.ttlSeconds: "3600" «d»
  oidc.issuer: https://login.microsoftonline.com/«~uuid»/v2.0 «d»
  oidc.clientId: «~uuid» «d»
  database.url: postgres://orders@orders-db.orders.svc:5432/orders «d»
---
apiVersion: external-secrets.io/v1beta1
kind: ExternalSecret
metadata:
  name: orders-db
spec:
  refreshInterval: 1h
  secretStoreRef:
    name: aws-secrets-manager
    kind: ClusterSecretStore
  target:
    name: orders-db
  data:
    - secretKey: password «d»
      remoteRef:
        key: prod/orders/db «d»
        property: password «d»
""")

f("k8s/overlays/prod/sealed-secret.yaml", r"""
apiVersion: bitnami.com/v1alpha1
kind: SealedSecret
metadata:
  name: orders-api
  namespace: orders
spec:
  encryptedData:
    token: «~sealed» «d»
    signing-key: «~sealed» «d»
  template:
    metadata:
      name: orders-api
""")



f("charts/orders/values.yaml", r"""
replicaCount: 2
image:
  repository: registry.acme.internal/orders
  tag: "1.8.3"
postgresql:
  auth:
    username: orders
    # Set with --set postgresql.auth.password=... or use existingSecret.
    password: "" «d»
    existingSecret: orders-db «d»
redis:
  auth:
    enabled: true
    password: changeme «d»
rabbitmq:
  auth:
    password: <rabbitmq-password> «d»
ingress:
  enabled: true
  annotations:
    cert-manager.io/cluster-issuer: letsencrypt
""")

f("charts/orders/values-prod.yaml", r"""
postgresql:
  auth:
    password: «password|pwh»
    postgresPassword: «password|pwr»
redis:
  auth:
    password: «password|pwr»
rabbitmq:
  auth:
    erlangCookie: «generic-secret|upper20»
    password: «password|pwh»
oauth2-proxy:
  config:
    clientID: orders-ui
    clientSecret: «client-secret|alnum32»
    cookieSecret: «generic-secret|b64_32»
""")

f("charts/orders/templates/secret.yaml", r"""
apiVersion: v1
kind: Secret
metadata:
  name: {{ include "orders.fullname" . }}
type: Opaque
data:
  db-password: {{ .Values.postgresql.auth.password | b64enc | quote }} «d»
  redis-password: {{ required "redis password" .Values.redis.auth.password | b64enc }} «d»
  api-key: {{ randAlphaNum 32 | b64enc | quote }} «d»
""")

# --- Ansible -----------------------------------------------------------------


f("ansible/group_vars/prod/vault.yml", r"""
$ANSIBLE_VAULT;1.1;AES256
«~vault» «d»
""")

f("ansible/group_vars/staging/vars.yml", r"""
---
mysql_root_password: «password|pwh»
app_db_password: «password|pwr»
app_secret_key: «generic-secret|rand50»
ldap_bind_dn: cn=svc-ansible,ou=service,dc=acme,dc=internal
ldap_bind_password: «password|pwh»
new_relic_license_key: «newrelic-license-key|nrlicense»
""")

f("ansible/host_vars/db1.yml", r"""
---
postgresql_users:
  - name: replicator
    password: !vault |
          $ANSIBLE_VAULT;1.1;AES256
          «~vault_indented» «d»
    role_attr_flags: REPLICATION
""")

f("ansible/roles/app/tasks/main.yml", r"""
---
- name: Create the application database user
  community.postgresql.postgresql_user:
    name: app
    password: "{{ app_db_password }}" «d»
    login_user: postgres
    login_password: "«password|pwr»"

- name: Fetch the release
  ansible.builtin.get_url:
    url: https://artifacts.acme.internal/app/app-1.2.3.tar.gz
    dest: /opt/app/app.tar.gz
    url_username: ci
    url_password: "«password|pwh»"
    checksum: "sha256:«~hex64»" «d»

- name: Protect the admin UI
  community.general.htpasswd:
    path: /etc/nginx/.htpasswd
    name: admin
    password: "{{ nginx_admin_password }}" «d»
""")

# --- django-app ----------------------------------------------------------------

f("django-app/myproject/settings.py", r"""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "«app-secret-key|django»"

DEBUG = False
ALLOWED_HOSTS = ["app.acme.io"]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "acme",
        "USER": "acme",
        "PASSWORD": os.environ.get("POSTGRES_PASSWORD", ""), «d»
        "HOST": "db",
        "PORT": "5432",
    },
    "legacy": {
        "ENGINE": "django.db.backends.mysql",
        "NAME": "legacy",
        "USER": "legacy_ro",
        "PASSWORD": "«password|pwh»",
        "HOST": "legacy-mysql.acme.internal",
    },
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"}, «d»
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}}, «d»
]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"] «d»

EMAIL_HOST = "smtp.mailgun.org"
EMAIL_HOST_USER = "postmaster@mg.acme.io"
EMAIL_HOST_PASSWORD = "«password|pwr»"

CELERY_BROKER_URL = "amqp://acme:«amqp-url|pwu»@rabbitmq:5672//"
CACHES = {"default": {"BACKEND": "django_redis.cache.RedisCache", "LOCATION": "redis://:«redis-url|pwu»@redis:6379/1"}}

AWS_STORAGE_BUCKET_NAME = "acme-static"
AWS_ACCESS_KEY_ID = os.getenv("AWS_ACCESS_KEY_ID") «d»
AWS_SECRET_ACCESS_KEY = os.getenv("AWS_SECRET_ACCESS_KEY") «d»

SOCIAL_AUTH_GOOGLE_OAUTH2_KEY = "«~gclientid»" «d»
SOCIAL_AUTH_GOOGLE_OAUTH2_SECRET = "«google-oauth-client-secret|gocspx»"
""")

f("django-app/myproject/local_settings.py", r"""
# Local overrides; imported at the end of settings.py when present.
from .settings import *  # noqa: F401,F403

DEBUG = True
DATABASES["default"]["PASSWORD"] = "«password|pwh»"
OPENAI_API_KEY = "«openai-api-key|openai»"
STRIPE_API_KEY = "sk_test_4eC39HqLyjWDarjtT1zdp7dc"  # Stripe's published docs key «d»
""")

f("django-app/.env", r"""
DJANGO_SETTINGS_MODULE=myproject.settings
POSTGRES_PASSWORD=«password|pwr»
SENTRY_DSN=https://«~hex32»@o«~digits6».ingest.sentry.io/«~digits7» «d»
OPENAI_API_KEY=«openai-api-key|openai_proj»
HF_TOKEN=«huggingface-token|hf»
SUPABASE_URL=https://xyzcompany.supabase.co
SUPABASE_SERVICE_ROLE_KEY=«jwt|supabase»
""")



# --- go-worker ------------------------------------------------------------------

f("go-worker/main.go", r"""
package main

import (
    "log"
    "os"
)

const defaultSlackToken = "«slack-bot-token|xoxb»"

func main() {
    token := os.Getenv("SLACK_TOKEN") «d»
    if token == "" {
        token = defaultSlackToken
    }
    dsn := os.Getenv("DATABASE_URL") «d»
    if dsn == "" {
        dsn = "postgres://worker:«postgres-url|pwu»@localhost:5432/jobs?sslmode=disable"
    }
    log.Printf("starting worker")
    run(token, dsn)
}
""")

f("go-worker/internal/config/config.go", r"""
package config

// Config holds the worker settings.
type Config struct {
    DatabaseURL string `env:"DATABASE_URL"`
    Password    string `json:"password" yaml:"password"` «d»
    APIToken    string `env:"API_TOKEN,required"` «d»
}

// Staging is used by the integration environment.
var Staging = Config{
    DatabaseURL: "jobs:«mysql-url|pwu»@tcp(mysql.staging.acme.internal:3306)/jobs?parseTime=true",
}

// Migrations connects the schema migrator.
var Migrations = Config{
    DatabaseURL: "host=pg.acme.internal user=migrate password=«password|pwr» dbname=app sslmode=require",
}
""")

f("go-worker/internal/notify/clients.go", r"""
package notify

import (
    "net/http"
)

const (
    telegramToken  = "«telegram-bot-token|telegram»"
    discordWebhook = "«discord-webhook|discord»"
)

func newRequest(url string) (*http.Request, error) {
    req, err := http.NewRequest(http.MethodGet, url, nil)
    if err != nil {
        return nil, err
    }
    req.Header.Set("Authorization", "Bearer «bearer-token|opaque40»")
    req.Header.Set("X-Request-Id", "«~uuid»") «d»
    return req, nil
}
""")




# --- dotnet-api ------------------------------------------------------------------

f("dotnet-api/appsettings.json", r"""
{
  "Logging": { "LogLevel": { "Default": "Information" } },
  "ConnectionStrings": {
    "Default": "Server=tcp:acme-sql.database.windows.net,1433;Initial Catalog=orders;Persist Security Info=False;User ID=orders_app;Password=«adonet-password|pwr_semi»;Encrypt=True;",
    "Reporting": "Server=reporting.acme.internal;Database=Reports;Trusted_Connection=True;", «d»
    "Cache": "acme-cache.redis.cache.windows.net:6380,password=«password|azredis»,ssl=True,abortConnect=False",
    "ServiceBus": "Endpoint=sb://acme-prod.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=«azure-shared-access-key|b64_32»",
    "Storage": "UseDevelopmentStorage=true" «d»
  },
  "AzureAd": {
    "Instance": "https://login.microsoftonline.com/",
    "TenantId": "«~uuid»", «d»
    "ClientId": "«~uuid»", «d»
    "ClientSecret": "«azure-client-secret|azsecret»"
  },
  "Jwt": {
    "Issuer": "https://auth.acme.io",
    "SigningKey": "«generic-secret|b64_48»"
  }
}
""")

f("dotnet-api/appsettings.Development.json", r"""
{
  "ConnectionStrings": {
    "Default": "Server=(localdb)\\mssqllocaldb;Database=orders_dev;Trusted_Connection=True;" «d»
  },
  "AzureAd": {
    "ClientSecret": "<client-secret-from-keyvault>" «d»
  },
  "Jwt": {
    "SigningKey": "__JWT_SIGNING_KEY__" «d»
  }
}
""")

f("dotnet-api/Program.cs", r"""
using SendGrid;

var builder = WebApplication.CreateBuilder(args);
var connectionString = builder.Configuration.GetConnectionString("Default"); «d»
var ordersApiKey = Environment.GetEnvironmentVariable("ORDERS_API_KEY"); «d»

builder.Services.AddHttpClient("inventory", c =>
{
    c.BaseAddress = new Uri("https://inventory.acme.internal/");
    c.DefaultRequestHeaders.Add("X-Api-Key", "«generic-api-key|hex32»");
});
builder.Services.AddStackExchangeRedisCache(o => o.Configuration = "cache.acme.internal:6379,password=«password|pwr»");
builder.Services.AddSingleton(new SendGridClient("«sendgrid-api-key|sendgrid»"));

var app = builder.Build();
app.MapGet("/health", () => Results.Ok());
app.Run();
""")

f("dotnet-api/Web.config", r"""
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <connectionStrings>
    <add name="LegacyDb" connectionString="Data Source=sql01.acme.local;Initial Catalog=Legacy;User Id=legacy_app;Password=«adonet-password|pwr_semi»;" providerName="System.Data.SqlClient" />
    <add name="Audit" connectionString="Data Source=sql01;Initial Catalog=Audit;Integrated Security=SSPI;" providerName="System.Data.SqlClient" /> «d»
  </connectionStrings>
  <appSettings>
    <add key="SmtpPassword" value="«password|pwr»" />
    <add key="PaymentGatewayToken" value="«braintree-access-token|braintree»" />
    <add key="ida:ClientId" value="«~uuid»" /> «d»
    <add key="webpages:Version" value="3.0.0.0" />
  </appSettings>
</configuration>
""")

# --- rails-app -----------------------------------------------------------------------

f("rails-app/config/database.yml", r"""
default: &default
  adapter: postgresql
  encoding: unicode
  pool: <%= ENV.fetch("RAILS_MAX_THREADS") { 5 } %>

development:
  <<: *default
  database: store_development

production:
  <<: *default
  database: store_production
  username: store
  password: <%= ENV["STORE_DATABASE_PASSWORD"] %> «d»

staging:
  <<: *default
  url: postgres://store:«postgres-url|pwhu»@staging-db.acme.internal/store_staging
""")

f("rails-app/config/initializers/services.rb", r"""
Rails.configuration.stripe = {
  publishable_key: ENV["STRIPE_PUBLISHABLE_KEY"], «d»
  secret_key: ENV.fetch("STRIPE_SECRET_KEY") «d»
}

ShopifyAPI::Context.setup(
  api_key: ENV["SHOPIFY_API_KEY"], «d»
  api_secret_key: ENV["SHOPIFY_API_SECRET"], «d»
  host: "https://store.acme.io",
  is_private: true,
  private_app_access_token: "«shopify-access-token|shpat»"
)

Twilio.configure do |config|
  config.account_sid = "AC«~hex32»" «d»
  config.auth_token = "«twilio-auth-token|hex32»"
end

MAILCHIMP = MailchimpMarketing::Client.new(api_key: "«mailchimp-api-key|mailchimp»", server: "us6")
Rails.application.config.secret_key_base = "«app-secret-key|hex128»"
GITHUB_WEBHOOK_SECRET = ENV["GITHUB_WEBHOOK_SECRET"] «d»
""")

f("rails-app/config/credentials.yml.enc", r"""
«~railsenc» «d»
""")


# --- php-site ------------------------------------------------------------------------

f("php-site/wp-config.php", r"""
<?php
/** WordPress database settings */
define( 'DB_NAME', 'wordpress' );
define( 'DB_USER', 'wp_acme' );
define( 'DB_PASSWORD', '«password|pwh»' );
define( 'DB_HOST', 'mysql.acme.internal' );
define( 'DB_CHARSET', 'utf8mb4' );

define( 'AUTH_KEY',         '«app-secret-key|wpsalt»' );
define( 'SECURE_AUTH_KEY',  '«app-secret-key|wpsalt»' );
define( 'LOGGED_IN_KEY',    'put your unique phrase here' ); «d»
define( 'NONCE_KEY',        'put your unique phrase here' ); «d»

$table_prefix = 'wp_';
define( 'WP_DEBUG', false );
""")

f("php-site/.env", r"""
APP_NAME=AcmeSite
APP_ENV=production
APP_KEY=base64:«app-secret-key|b64_32»
APP_DEBUG=false
DB_CONNECTION=mysql
DB_HOST=127.0.0.1
DB_DATABASE=acme_site
DB_USERNAME=acme_site
DB_PASSWORD=«password|pwh»
MAIL_MAILER=smtp
MAIL_PASSWORD=«password|pwr»
MAIL_ENCRYPTION=null
PUSHER_APP_ID=1764321
PUSHER_APP_SECRET=«generic-secret|hex20»
REDIS_PASSWORD=null «d»
AWS_ACCESS_KEY_ID=«aws-access-key-id|akid»
AWS_SECRET_ACCESS_KEY=«aws-secret-access-key|awssec»
""")

f("php-site/config/services.php", r"""
<?php

return [
    'mailgun' => [
        'domain' => env('MAILGUN_DOMAIN'),
        'secret' => env('MAILGUN_SECRET'), «d»
    ],
    'ses' => [
        'key' => env('AWS_ACCESS_KEY_ID'), «d»
        'secret' => env('AWS_SECRET_ACCESS_KEY'), «d»
    ],
    'recaptcha' => [
        'site_key' => '«~recap»', «d»
        'secret_key' => '«recaptcha-secret|recap»',
    ],
    'algolia' => [
        'app_id' => 'K7W3JQ9ZP2',
        'admin_key' => '«generic-api-key|hex32»',
    ],
];
""")

# --- scripts ---------------------------------------------------------------------------

f("scripts/deploy.sh", r"""
#!/usr/bin/env bash
set -euo pipefail

: "${DEPLOY_ENV:?set DEPLOY_ENV}"
REGISTRY=registry.acme.internal
export DOCKER_PASSWORD="«password|pwr»"
echo "$DOCKER_PASSWORD" | docker login "$REGISTRY" -u ci --password-stdin «d»

export AWS_ACCESS_KEY_ID=«aws-access-key-id|asia»
export AWS_SECRET_ACCESS_KEY=«aws-secret-access-key|awssec»
export AWS_SESSION_TOKEN=«aws-session-token|awssess»

mysql -h db.acme.internal -u deploy --password='«password|pwh»' app < migrations/latest.sql
PGPASSWORD="«password|pwr»" psql -h pg.acme.internal -U deploy -c 'select 1'
curl -fsS -u "admin:«password|pwhu»" https://jenkins.acme.internal/job/deploy/build
read -rsp "Vault password: " VAULT_PASS «d»
ansible-playbook site.yml --vault-password-file ~/.vault_pass «d»
export VAULT_TOKEN=«vault-token|hvs»
export TF_TOKEN_app_terraform_io="«terraform-cloud-token|tfc»"
vault kv get secret/deploy/${DEPLOY_ENV}
""")

f("scripts/backup.sh", r"""
#!/bin/sh
# Nightly backup of the orders database.
set -e
export PGPASSWORD="$(cat /run/secrets/pg_backup)" «d»
pg_dump -h orders-db -U backup orders | gzip > /tmp/orders.sql.gz
curl -T /tmp/orders.sql.gz ftp://backup:«ftp-url|pwu»@ftp.acme-archive.com/orders/
mongodump --uri "mongodb+srv://backup:«mongodb-url|pwu»@cluster0.ab1cd.mongodb.net/orders"
export B2_APPLICATION_KEY_ID=005«~hex20»
export B2_APPLICATION_KEY=«generic-api-key|b2key»
rclone copy /tmp/orders.sql.gz b2:acme-backups
sha256sum /tmp/orders.sql.gz # «~hex64» expected «d»
""")

f("scripts/bootstrap_ldap.py", r"""
import ldap3

LDAP_URL = "ldap://readonly:«ldap-url|pwu»@ldap.acme.internal:389/dc=acme,dc=internal"
ADMIN_PASSWORD = "«password|pwh»"

server = ldap3.Server("ldaps://ldap.acme.internal:636")
conn = ldap3.Connection(server, "cn=admin,dc=acme,dc=internal", ADMIN_PASSWORD, auto_bind=True)
conn.search("dc=acme,dc=internal", "(objectClass=person)", attributes=["uid", "mail"])
for entry in conn.entries:
    print(entry.uid, entry.mail)
""")

f("scripts/rotate_keys.py", r"""
import boto3

session = boto3.Session(
    aws_access_key_id="«aws-access-key-id|akid»",
    aws_secret_access_key="«aws-secret-access-key|awssec»",
    region_name="us-east-1",
)
iam = session.client("iam")

# The AWS documentation shows keys like these:
#   aws_access_key_id = AKIAIOSFODNN7EXAMPLE «d»
#   aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY «d»
for key in iam.list_access_keys(UserName="ci")["AccessKeyMetadata"]:
    print(key["AccessKeyId"], key["Status"])
""")


f("scripts/sync_issues.py", r"""
import os

import requests

LINEAR_API_KEY = "«linear-api-key|linear»"
NOTION_TOKEN = "«notion-token|notion»"
JIRA_TOKEN = os.environ.get("JIRA_TOKEN", "") «d»

headers = {"Authorization": LINEAR_API_KEY, "Content-Type": "application/json"}
resp = requests.post("https://api.linear.app/graphql", json={"query": "{ viewer { id } }"}, headers=headers)
resp.raise_for_status()

notion = requests.get(
    "https://api.notion.com/v1/users",
    headers={"Authorization": f"Bearer {NOTION_TOKEN}", "Notion-Version": "2022-06-28"}, «d»
)
print(notion.json())
""")

# --- a developer's home directory -------------------------------------------------------

PUBLIC_KEYS = []


def ed25519_private():
    private, public = ed25519_pair("ops@acme-laptop-%s" % rs(LO + DG, 4))
    PUBLIC_KEYS.append(public)
    return private


GEN["ed25519"] = ed25519_private
GEN["ed25519_pub"] = lambda: PUBLIC_KEYS[-1]
GEN["digits21"] = lambda: rs(DG, 21)
GEN["ssh_rsa_pub"] = lambda: "ssh-rsa " + b64(b"\0\0\0\x07ssh-rsa\0\0\0\x03\x01\0\x01\0\0\x01\x01\0" + rb(256))

f("home/.netrc", r"""
machine github.com
  login acme-bot
  password «github-pat|ghp»
machine api.heroku.com
  login ops@acme.io
  password «heroku-api-key|uuid»
machine nexus.acme.internal login deployer password «password|pwr»
""")

f("home/.git-credentials", r"""
https://acme-bot:«github-pat|ghp»@github.com
https://deploy:«https-url|pwu»@bitbucket.org
https://oauth2:«gitlab-pat|glpat»@gitlab.acme.io
""")

f("home/.pypirc", r"""
[distutils]
index-servers =
    pypi
    internal

[pypi]
username = __token__
password = «pypi-token|pypi»

[internal]
repository = https://nexus.acme.internal/repository/pypi-internal/
username = deployer
password = «password|pwh»
""")

f("home/.docker/config.json", r"""
{
  "auths": {
    "https://index.docker.io/v1/": {
      "auth": "«docker-config-auth|dockerauth»"
    },
    "registry.acme.internal": {
      "auth": "«docker-config-auth|dockerauth»"
    },
    "ghcr.io": {}
  },
  "credsStore": "desktop", «d»
  "credHelpers": {
    "123456789012.dkr.ecr.eu-west-1.amazonaws.com": "ecr-login" «d»
  }
}
""")

f("home/.aws/credentials", r"""
[default]
aws_access_key_id = «aws-access-key-id|akid»
aws_secret_access_key = «aws-secret-access-key|awssec»

[prod-readonly]
role_arn = arn:aws:iam::123456789012:role/ReadOnly «d»
source_profile = default
mfa_serial = arn:aws:iam::123456789012:mfa/ops «d»

[legacy]
aws_access_key_id = «aws-access-key-id|akid»
aws_secret_access_key = «aws-secret-access-key|awssec»
""")

f("home/.ssh/id_ed25519", r"""
«openssh-private-key|ed25519»
""")

f("home/.ssh/id_ed25519.pub", r"""
«~ed25519_pub» «d»
""")


f("home/.kube/config", r"""
apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: «~b64cert» «d»
    server: https://k8s.acme.internal:6443
  name: prod
contexts:
- context:
    cluster: prod
    user: admin
  name: prod-admin
current-context: prod-admin
users:
- name: admin
  user:
    client-certificate-data: «~b64cert» «d»
    client-key-data: «private-key-base64|b64rsakey»
- name: ci
  user:
    token: «jwt|k8s_jwt»
""")



f("home/.bash_history", r"""
cd ~/src/shop-api
git pull --rebase
export GITHUB_TOKEN=«github-pat|ghp»
gh pr list
gh auth status --show-token
export GH_TOKEN=«github-oauth-token|gho»
export OPENAI_API_KEY=«openai-api-key|openai»
python scripts/summarize.py --since 7d
docker login -u acmeci -p «docker-hub-token|dckr» docker.io
ssh -i ~/.ssh/id_ed25519 deploy@bastion.acme.internal
history | grep password «d»
""")

# --- key material -----------------------------------------------------------------------

f("keys/server.key", r"""
«private-key-rsa|rsa»
""")


f("keys/jwt-signing.pem", r"""
«private-key-pkcs8|pkcs8»
""")


f("keys/ec-p256.pem", r"""
«private-key-ec|ec»
""")

f("keys/ca-bundle.pem", r"""
# Acme internal root and intermediate CAs
«~cert» «d»
«~cert» «d»
""")

f("keys/release-signing.asc", r"""
«pgp-private-key|pgp»
""")


f("keys/gcp/analytics-terraform.json", r"""
{«{gcp-service-account»
  "type": "service_account",
  "project_id": "acme-analytics-prod",
  "private_key_id": "«~hex40»",
  "private_key": "«~pem_json»",
  "client_email": "terraform@acme-analytics-prod.iam.gserviceaccount.com",
  "client_id": "«~digits21»",
  "auth_uri": "https://accounts.google.com/o/oauth2/auth",
  "token_uri": "https://oauth2.googleapis.com/token",
  "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
  "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/terraform%40acme-analytics-prod.iam.gserviceaccount.com",
  "universe_domain": "googleapis.com"
}«}»
""")

f("ops/firebase-adminsdk.json", r"""
{«{gcp-service-account»
  "type": "service_account",
  "project_id": "acme-mobile-7f3a1",
  "private_key_id": "«~hex40»",
  "private_key": "«~pem_json»",
  "client_email": "firebase-adminsdk-q2x9z@acme-mobile-7f3a1.iam.gserviceaccount.com",
  "client_id": "«~digits21»",
  "auth_uri": "https://accounts.google.com/o/oauth2/auth",
  "token_uri": "https://oauth2.googleapis.com/token"
}«}»
""")

f("ops/gcp-workload-identity.json", r"""
{
  "type": "external_account",
  "audience": "//iam.googleapis.com/projects/«~digits15»/locations/global/workloadIdentityPools/github/providers/github",
  "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
  "token_url": "https://sts.googleapis.com/v1/token",
  "service_account_impersonation_url": "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/deployer@acme-prod.iam.gserviceaccount.com:generateAccessToken", «d»
  "credential_source": {
    "file": "/var/run/secrets/tokens/gcp-token" «d»
  }
}
""")

# --- notebooks -------------------------------------------------------------------------

f("notebooks/churn-analysis.ipynb", r"""
{
 "cells": [
  {
   "cell_type": "code",
   "execution_count": 1,
   "metadata": {},
   "outputs": [],
   "source": [
    "import openai\n",
    "import pandas as pd\n",
    "from sqlalchemy import create_engine\n",
    "openai.api_key = \"«openai-api-key|openai»\"\n",
    "engine = create_engine(\"postgresql://analyst:«postgres-url|pwu»@warehouse.acme.internal:5432/dw\")\n"
   ]
  },
  {
   "cell_type": "markdown",
   "metadata": {},
   "source": [
    "Set `HF_TOKEN` in your environment before running; never paste the token here.\n" «d»
   ]
  },
  {
   "cell_type": "code",
   "execution_count": 2,
   "metadata": {},
   "outputs": [
    {
     "name": "stdout",
     "output_type": "stream",
     "text": [
      "model revision: «~gitsha»\n" «d»
     ]
    },
    {
     "data": {
      "image/png": "«~png»", «d»
      "text/plain": [
       "<Figure size 640x480 with 1 Axes>"
      ]
     },
     "metadata": {},
     "output_type": "display_data"
    }
   ],
   "source": [
    "from huggingface_hub import login\n",
    "login(token=\"«huggingface-token|hf»\")\n",
    "wandb.login(key=\"«generic-api-key|hex40»\")\n"
   ]
  },
  {
   "cell_type": "code",
   "execution_count": 3,
   "metadata": {},
   "outputs": [],
   "source": [
    "import anthropic, os\n",
    "client = anthropic.Anthropic(api_key=\"«anthropic-api-key|anthropic»\")\n",
    "DATABRICKS_HOST = \"https://adb-«~digits15».7.azuredatabricks.net\"\n",
    "DATABRICKS_TOKEN = \"«databricks-token|dapi»\"\n",
    "pinecone_key = os.environ[\"PINECONE_API_KEY\"]\n" «d»
   ]
  }
 ],
 "metadata": {
  "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}
 },
 "nbformat": 4,
 "nbformat_minor": 5
}
""")


# --- databases ---------------------------------------------------------------------------

f("db/dump.sql", r"""
--
-- PostgreSQL database dump
--
SET statement_timeout = 0;
SET client_encoding = 'UTF8';

CREATE TABLE public.users (id uuid PRIMARY KEY, email text NOT NULL, password_hash text NOT NULL, created_at timestamptz); «d»

COPY public.users (id, email, password_hash, created_at) FROM stdin;
«~uuid»«TAB»alice@acme.io«TAB»«~bcrypt»«TAB»2024-01-12 10:11:12+00 «d»
«~uuid»«TAB»bob@acme.io«TAB»«~bcrypt»«TAB»2024-02-03 08:00:00+00 «d»
«~uuid»«TAB»carol@acme.io«TAB»«~argon2»«TAB»2024-03-09 17:45:00+00 «d»
\.

CREATE TABLE public.integrations (id serial, provider text, credentials text);
INSERT INTO public.integrations VALUES (1, 'slack', '«slack-bot-token|xoxb»');
INSERT INTO public.integrations VALUES (2, 'github', '«github-app-token|ghs»');
INSERT INTO public.integrations VALUES (3, 'sendgrid', '«sendgrid-api-key|sendgrid»');
INSERT INTO public.integrations VALUES (4, 'webhook', 'https://hooks.acme.io/in/«~uuid»'); «d»
INSERT INTO public.integrations VALUES (5, 'email', 'provider=ses;region=eu-west-1');

ALTER ROLE reporting WITH LOGIN PASSWORD '«password|pwh»';
ALTER ROLE app WITH LOGIN PASSWORD 'SCRAM-SHA-256$4096:«~b64_16»$«~b64_32»:«~b64_32»'; «d»
CREATE TABLE public.password_resets (token_hash char(64), expires_at timestamptz); «d»
INSERT INTO public.password_resets VALUES ('«~hex64»', '2024-04-01 00:00:00+00'); «d»
""")

f("db/mysql-init.sql", r"""
CREATE DATABASE IF NOT EXISTS app CHARACTER SET utf8mb4;
CREATE USER 'app'@'%' IDENTIFIED BY '«password|pwr»';
GRANT ALL PRIVILEGES ON app.* TO 'app'@'%';
CREATE USER 'exporter'@'localhost' IDENTIFIED BY '«password|pwh»' WITH MAX_USER_CONNECTIONS 3;
GRANT PROCESS, REPLICATION CLIENT ON *.* TO 'exporter'@'localhost';
CREATE USER 'readonly'@'%' IDENTIFIED WITH mysql_native_password AS '*«~HEX40»'; «d»
FLUSH PRIVILEGES;
""")

f("db/migrations/20240301_seed_admin.sql", r"""
-- Seed the first administrator. The demo password is reset on every deploy. «d»
INSERT INTO admins (email, password) VALUES ('root@acme.io', crypt('«password|pwh»', gen_salt('bf')));
INSERT INTO api_clients (name, client_id, client_secret) VALUES ('mobile', '«~uuid»', '«client-secret|alnum48»');
UPDATE settings SET value = 'true' WHERE key = 'password_reset_enabled'; «d»
""")

# --- logs ------------------------------------------------------------------------------------

f("logs/app.log", r"""
2024-05-02T10:15:01.123Z INFO  server started on :8080 request_id=«~uuid» «d»
2024-05-02T10:15:04.551Z DEBUG outgoing GET https://api.github.com/repos/acme/shop headers={"Authorization": "token «github-pat|ghp»", "Accept": "application/vnd.github+json"}
2024-05-02T10:15:05.002Z WARN  login failed for user=alice reason="invalid password" ip=10.2.3.4 «d»
2024-05-02T10:15:06.870Z DEBUG db connect dsn=postgres://orders:«postgres-url|pwu»@orders-db:5432/orders
2024-05-02T10:15:07.010Z INFO  db connect dsn=postgres://orders:********@orders-db:5432/orders «d»
2024-05-02T10:15:09.314Z DEBUG POST /oauth/token body=grant_type=password&username=svc-sync&password=«password|pwu»&client_id=sync
2024-05-02T10:15:10.000Z INFO  request authorized Authorization: Bearer [REDACTED] trace_id=«~hex32» «d»
2024-05-02T10:15:11.420Z ERROR stripe: Invalid API Key provided: sk_live_************************Xa1b «d»
2024-05-02T10:15:12.100Z DEBUG inbound headers: Authorization: Bearer «jwt|jwt_rs»
2024-05-02T10:16:00.000Z INFO  deployed commit=«~gitsha» build=1842 «d»
2024-05-02T10:16:02.000Z DEBUG smtp auth user=noreply@acme.io pass=«password|pwr»
2024-05-02T10:16:03.000Z INFO  password policy loaded: min_length=12 require_digit=true «d»
""")

f("logs/nginx-access.log", r"""
10.0.3.7 - - [02/May/2024:10:15:04 +0000] "GET /api/v1/orders?api_key=«generic-api-key|alnum32» HTTP/1.1" 200 512 "-" "curl/8.4.0"
10.0.3.7 - - [02/May/2024:10:15:05 +0000] "GET /static/app.«~hex20».js HTTP/1.1" 200 81234 "-" "Mozilla/5.0" «d»
10.0.3.9 - - [02/May/2024:10:15:07 +0000] "GET /account/password/edit HTTP/1.1" 200 2301 "-" "Mozilla/5.0" «d»
10.0.3.9 - - [02/May/2024:10:15:08 +0000] "GET /api/v1/items?access_token=«generic-token|opaque40» HTTP/1.1" 200 77 "-" "python-requests/2.31.0"
10.0.3.12 - - [02/May/2024:10:15:09 +0000] "GET /api/v1/search?q=token&page=2 HTTP/1.1" 200 1402 "-" "Mozilla/5.0" «d»
""")

f("logs/ci-build.log", r"""
Running with gitlab-runner 16.9.1 («~hex12») «d»
$ docker login -u acmeci -p «docker-hub-token|dckr» docker.io
WARNING! Using --password via the CLI is insecure. Use --password-stdin. «d»
Login Succeeded
$ echo "NPM_TOKEN=[MASKED]" «d»
Step 4/12 : RUN npm ci
 ---> Using cache
 ---> «~hex12» «d»
$ curl -s -H "Authorization: Basic «basic-auth|basic»" https://nexus.acme.internal/service/rest/v1/status
Job succeeded
""")

# --- CI configuration ---------------------------------------------------------------

f("gitlab-project/.gitlab-ci.yml", r"""
variables:
  DOCKER_DRIVER: overlay2
  POSTGRES_DB: app_test
  POSTGRES_PASSWORD: «password|pwh»
  SONAR_TOKEN: "«sonarqube-token|sqp»"
  DEPLOY_TOKEN: $CI_DEPLOY_PASSWORD «d»

stages: [test, deploy]

test:
  image: python:3.12
  services: [postgres:16]
  script:
    - pip install -r requirements.txt
    - pytest

deploy:
  stage: deploy
  script:
    - echo "$KUBE_CONFIG" | base64 -d > kubeconfig «d»
    - curl --request POST --form token=«gitlab-trigger-token|glptt» --form ref=main https://gitlab.acme.io/api/v4/projects/42/trigger/pipeline
    - 'curl --header "PRIVATE-TOKEN: «gitlab-pat|glpat»" https://gitlab.acme.io/api/v4/projects'
  only: [main]
""")

f("gitlab-project/runner/config.toml", r"""
concurrent = 4
check_interval = 0

[[runners]]
  name = "acme-docker-runner"
  url = "https://gitlab.acme.io/"
  id = 17
  token = "«gitlab-runner-token|glrt»"
  executor = "docker"
  [runners.docker]
    image = "alpine:3.19"
    privileged = false
  [runners.cache]
    Type = "s3"
    [runners.cache.s3]
      ServerAddress = "s3.amazonaws.com"
      AccessKey = "«aws-access-key-id|akid»"
      SecretKey = "«aws-secret-access-key|awssec»"
      BucketName = "acme-runner-cache"
""")

f("ci/.circleci/config.yml", r"""
version: 2.1
jobs:
  build:
    docker:
      - image: cimg/node:20.11
        auth:
          username: acmeci
          password: $DOCKERHUB_PASSWORD «d»
    environment:
      CODECOV_TOKEN: «codecov-token|uuid»
      NODE_ENV: test
    steps:
      - checkout
      - run: echo "//registry.npmjs.org/:_authToken=${NPM_TOKEN}" > ~/.npmrc «d»
      - run: npm ci
      - run: npm test
""")

f("ci/bitbucket-pipelines.yml", r"""
image: atlassian/default-image:4
pipelines:
  default:
    - step:
        name: Deploy
        script:
          - pipe: atlassian/aws-s3-deploy:1.1.0
            variables:
              AWS_ACCESS_KEY_ID: $AWS_ACCESS_KEY_ID «d»
              AWS_SECRET_ACCESS_KEY: $AWS_SECRET_ACCESS_KEY «d»
              S3_BUCKET: acme-site
              LOCAL_PATH: dist
          - pipe: atlassian/slack-notify:2.1.0
            variables:
              WEBHOOK_URL: «slack-webhook|slackhook»
              MESSAGE: "acme-site deployed"
          - export JIRA_API_TOKEN=«atlassian-api-token|atatt»
""")

f("ci/.github/workflows/release.yml", r"""
name: release
on:
  push:
    tags: ["v*"]
permissions:
  contents: write
jobs:
  release:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: goreleaser/goreleaser-action@v5
        with:
          args: release --clean
        env:
          GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }} «d»
          HOMEBREW_TAP_TOKEN: «github-pat|ghp»
      - name: Publish to PyPI
        env:
          TWINE_USERNAME: __token__
          TWINE_PASSWORD: ${{ secrets.PYPI_TOKEN }} «d»
        run: twine upload dist/*
      - name: Pulumi preview
        env:
          PULUMI_ACCESS_TOKEN: «pulumi-token|pulumi»
          DOPPLER_TOKEN: «doppler-token|doppler»
        run: pulumi preview --stack prod
""")


# --- documentation -------------------------------------------------------------------

f("docs/setup.md", r"""
# Setting up a development environment

1. Copy `.env.example` to `.env` and fill in your own values.
2. Ask #ops for the staging database password; never commit it. «d»
3. Configure AWS with `aws configure`; the docs use `AKIAIOSFODNN7EXAMPLE` as the key id. «d»

Example requests:

    curl -H "Authorization: Bearer <your-token>" https://api.acme.io/v1/me «d»
    curl -u "admin:<password>" https://jenkins.acme.internal «d»
    export GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx «d»

Passwords must be at least 12 characters; the validator rejects `password123`. «d»

For the shared staging API, use this key (rotated quarterly):

    STAGING_API_KEY=«generic-api-key|alnum40»
""")

f("docs/integrations.md", r"""
# Third-party integrations

## Slack

Create a bot and copy its token. Slack's own examples use a token such as
`xoxb-not-a-real-token-this-will-not-work`. «d»

## GitHub

A personal access token looks like `ghp_16C7e42F292c6912E7710c838347Ae178B4a`. «d»

## JWTs

Paste a token into jwt.io to inspect it, e.g. the site's sample: «d»
`eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c` «d»

## Orders API authentication

All endpoints take HTTP basic authentication or a bearer token:

    GET /v1/orders HTTP/1.1
    Host: api.acme.io
    Authorization: Basic dXNlcm5hbWU6cGFzc3dvcmQ= «d»

`Authorization: Bearer {token}` works too; `{token}` is returned by `POST /v1/tokens`. «d»

| Field      | Type   | Description                          |
|------------|--------|--------------------------------------|
| `password` | string | at least 12 characters, never logged | «d»

## Webhooks

Verify the `X-Acme-Signature` header with our public key:

```
«~pubkey» «d»
```

## Postman

Import the team collection with the Postman API:

    curl -H "X-Api-Key: «postman-api-key|postman»" https://api.getpostman.com/collections

## AWS

Secret access keys are 40 characters, e.g. `wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`. «d»
""")

f("docs/runbook.md", r"""
# On-call runbook

## Database failover

Promote the replica with `pg_ctl promote`. The replication password is in
Vault at `secret/data/db/replication#password`. «d»

## Console access

Break-glass console login for the payment gateway: user `root`, password `«password|pwh»`.
Rotate it after use and record the rotation in the incident ticket.

## Grafana

The provisioning token for dashboards is `«grafana-service-account-token|glsa»`.

## Resetting a user's password

Run `bin/rails runner 'User.find_by(email: ARGV[0]).send_reset_password_instructions' alice@acme.io`. «d»
""")


# --- services ----------------------------------------------------------------------

f("services/mailer/config.yaml", r"""
smtp:
  host: email-smtp.eu-west-1.amazonaws.com
  port: 587
  username: «aws-access-key-id|akid»
  password: «password|sesv4»
imap:
  host: imap.acme.io
  password_command: "pass show mail/imap" «d»
templates:
  reset_password: templates/reset_password.html «d»
  welcome: templates/welcome.html
""")


f("services/proxy/haproxy.cfg", r"""
global
    log stdout format raw local0

userlist admins
    user ops password «~sha512crypt» «d»
    user oncall insecure-password «password|pwr»

listen stats
    bind :8404
    stats enable
    stats uri /stats
    stats auth admin:«password|pwh»

backend api
    server api1 10.0.1.10:8080 check
""")

f("services/proxy/nginx.conf", r"""
server {
    listen 443 ssl;
    server_name legacy.acme.io;
    ssl_certificate     /etc/nginx/tls/legacy.crt;
    ssl_certificate_key /etc/nginx/tls/legacy.key; «d»

    location /admin/ {
        auth_basic "restricted";
        auth_basic_user_file /etc/nginx/.htpasswd; «d»
        proxy_pass http://admin:8080;
    }

    location /partner/ {
        proxy_set_header Authorization "Basic «basic-auth|basic»";
        proxy_pass https://partner.example.net/;
    }
}
""")


f("services/grafana/grafana.ini", r"""
[security]
admin_user = admin
admin_password = «password|pwh»
secret_key = «generic-secret|alnum20»

[database]
type = postgres
host = grafana-db:5432
user = grafana
password = «password|pwr»

[auth.generic_oauth]
enabled = true
client_id = grafana
client_secret = «client-secret|alnum40»

[smtp]
password = $__env{SMTP_PASSWORD} «d»

[auth.google]
client_secret = $__file{/etc/secrets/google_client_secret} «d»
""")

f("services/prometheus/prometheus.yml", r"""
global:
  scrape_interval: 30s
scrape_configs:
  - job_name: node
    static_configs:
      - targets: ["node-exporter:9100"]
  - job_name: federate
    basic_auth:
      username: prometheus
      password_file: /etc/prometheus/federate-password «d»
    static_configs:
      - targets: ["prom-eu.acme.internal:9090"]
  - job_name: api
    authorization:
      credentials: «bearer-token|opaque40»
    static_configs:
      - targets: ["api.acme.internal:9464"]
remote_write:
  - url: https://prometheus-prod-24-prod-eu-west-2.grafana.net/api/prom/push
    basic_auth:
      username: "1234567"
      password: «grafana-cloud-token|glc»
""")

f("services/alertmanager/alertmanager.yml", r"""
global:
  smtp_smarthost: smtp.acme.io:587
  smtp_from: alerts@acme.io
  smtp_auth_username: alerts@acme.io
  smtp_auth_password: «password|pwr»
  slack_api_url: «slack-webhook|slackhook»
receivers:
  - name: oncall
    pagerduty_configs:
      - routing_key: «pagerduty-key|hex32»
  - name: team
    slack_configs:
      - channel: "#alerts"
        api_url_file: /etc/alertmanager/slack-url «d»
""")

f("services/airflow/airflow.cfg", r"""
[core]
executor = CeleryExecutor
fernet_key = «generic-secret|fernet»

[database]
sql_alchemy_conn = postgresql+psycopg2://airflow:«postgres-url|pwu»@airflow-db:5432/airflow

[celery]
broker_url = redis://:«redis-url|pwu»@redis:6379/0
result_backend = db+postgresql://airflow_results:«postgres-url|pwu»@airflow-db:5432/airflow

[webserver]
secret_key = «generic-secret|hex32»
base_url = https://airflow.acme.internal
""")


f("services/gateway/kong.yml", r"""
_format_version: "3.0"
services:
  - name: orders
    url: http://orders:8080
    routes:
      - name: orders
        paths: [/orders]
consumers:
  - username: mobile-app
    keyauth_credentials:
      - key: «generic-api-key|alnum32»
  - username: partner
    jwt_secrets:
      - key: partner-issuer
        secret: «generic-secret|alnum32»
  - username: vault-backed
    keyauth_credentials:
      - key: "{vault://env/partner-api-key}" «d»
""")


f("services/search/docker-compose.override.yml", r"""
services:
  elasticsearch:
    environment:
      ELASTIC_PASSWORD: «password|pwh»
      xpack.security.enabled: "true"
  kibana:
    environment:
      ELASTICSEARCH_USERNAME: kibana_system
      ELASTICSEARCH_PASSWORD: ${KIBANA_PASSWORD:?set KIBANA_PASSWORD} «d»
      XPACK_ENCRYPTEDSAVEDOBJECTS_ENCRYPTIONKEY: «generic-secret|alnum32»
  mongo:
    environment:
      MONGO_INITDB_ROOT_USERNAME: root
      MONGO_INITDB_ROOT_PASSWORD: «password|pwr»
  mongo-express:
    environment:
      ME_CONFIG_MONGODB_URL: mongodb://root:«mongodb-url|pwu»@mongo:27017/
""")

# --- mobile ----------------------------------------------------------------------------

f("mobile/android/app/src/main/res/values/secrets.xml", r"""
<?xml version="1.0" encoding="utf-8"?>
<resources>
    <string name="google_maps_key">«gcp-api-key|gapi»</string>
    <string name="facebook_app_id">«~digits15»</string> «d»
    <string name="google_oauth_client_id">«~gclientid»</string> «d»
    <string name="revenuecat_secret_api_key">sk_«generic-api-key|alnum32»</string>
</resources>
""")

f("mobile/android/gradle.properties", r"""
org.gradle.jvmargs=-Xmx2048m -Dfile.encoding=UTF-8
android.useAndroidX=true
signing.keyId=24875D73 «d»
signing.password=«password|pwr»
signing.secretKeyRingFile=/home/ci/.gnupg/secring.gpg «d»
ossrhUsername=acme-release
ossrhPassword=«password|pwh»
RELEASE_STORE_PASSWORD=«password|pwr»
""")

f("mobile/ios/fastlane/.env.default", r"""
APPLE_ID=ops@acme.io
FASTLANE_USER=ops@acme.io
FASTLANE_PASSWORD=«password|pwh»
FASTLANE_APPLE_APPLICATION_SPECIFIC_PASSWORD=«password|apple_asp»
MATCH_PASSWORD=«password|pwr»
MATCH_GIT_URL=git@github.com:acme/certificates.git «d»
""")

# --- encrypted configuration (all decoys) -------------------------------------------------

f("sops/secrets.enc.yaml", r"""
db_password: «~sops_short» «d»
api_key: «~sops_long» «d»
stripe:
  secret_key: «~sops_long» «d»
sops:
  kms:
    - arn: arn:aws:kms:eu-west-1:123456789012:key/«~uuid» «d»
      created_at: "2024-04-01T10:00:00Z"
      enc: «~b64_long» «d»
      aws_profile: ""
  lastmodified: "2024-04-01T10:00:00Z"
  mac: «~sops_long» «d»
  version: 3.8.1
""")


# --- python-lib --------------------------------------------------------------------------------

f("python-lib/src/acme_client/client.py", r"""
from __future__ import annotations

import os

import requests

DEFAULT_TIMEOUT = 30
_SANDBOX_API_KEY = "«generic-api-key|hex40»"  # remove before the 1.0 release


class Client:
    def __init__(self, api_key: str | None = None, password: str = "") -> None: «d»
        self.api_key = api_key or os.environ["ACME_API_KEY"] «d»
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Token {self.api_key}" «d»

    def login(self, username: str, password: str) -> str: «d»
        resp = self.session.post("/login", json={"username": username, "password": password}) «d»
        return resp.json()["token"] «d»
""")


# --- HTTP collections ----------------------------------------------------------------------

f("tools/orders.postman_collection.json", r"""
{
  "info": {
    "_postman_id": "«~uuid»", «d»
    "name": "Orders API",
    "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
  },
  "auth": {
    "type": "bearer",
    "bearer": [
      { "key": "token", "value": "«jwt|jwt_hs»", "type": "string" }
    ]
  },
  "item": [
    {
      "name": "List orders (partner)",
      "request": {
        "method": "GET",
        "auth": {
          "type": "basic",
          "basic": [
            { "key": "username", "value": "partner-eu", "type": "string" },
            { "key": "password", "value": "«password|pwh»", "type": "string" }
          ]
        },
        "url": "{{baseUrl}}/v1/orders"
      }
    },
    {
      "name": "Create token",
      "request": {
        "method": "POST",
        "header": [{ "key": "Authorization", "value": "Bearer {{accessToken}}" }], «d»
        "url": "{{baseUrl}}/v1/tokens"
      }
    }
  ],
  "variable": [
    { "key": "baseUrl", "value": "https://api.acme.io" },
    { "key": "accessToken", "value": "" } «d»
  ]
}
""")

f("tools/requests.http", r"""
### Health
GET https://api.acme.io/health

### Orders as the reporting user
GET https://api.acme.io/v1/orders
Authorization: Basic «basic-auth|basic»

### Orders with a service token
GET https://api.acme.io/v1/orders
Authorization: Bearer «jwt|jwt_hs»

### Orders with the token from the environment
GET https://api.acme.io/v1/orders
Authorization: Bearer {{$dotenv ORDERS_TOKEN}} «d»
""")

# --- front end ----------------------------------------------------------------------------

f("frontend/src/environments/environment.prod.ts", r"""
export const environment = {
  production: true,
  apiUrl: 'https://api.acme.io',
  mapboxToken: '«~mapbox_pk»', «d»
  sentryDsn: 'https://«~hex32»@o«~digits6».ingest.sentry.io/«~digits7»', «d»
  googleClientId: '«~gclientid»', «d»
  stripePublishableKey: '«~stripe_pk»', «d»
  adminApiKey: '«generic-api-key|alnum32»',
};
""")


f("node-admin/config/production.json", r"""
{
  "server": { "port": 3000 },
  "mongo": {
    "uri": "mongodb://admin:«mongodb-url|pwu»@mongo-0.mongo:27017,mongo-1.mongo:27017/admin?replicaSet=rs0"
  },
  "auth": {
    "jwtSecret": "«generic-secret|rand48»",
    "tokenTtl": "1h"
  },
  "square": {
    "accessToken": "«square-access-token|square»",
    "environment": "production"
  },
  "newRelic": { "userApiKey": "«newrelic-user-key|nrak»" },
  "smtp": {
    "url": "smtps://alerts%40acme.io:«smtp-url|pwu»@smtp.gmail.com:465"
  },
  "cache": { "url": "rediss://default:«redis-url|pwu»@acme-cache.upstash.io:6379" },
  "features": { "passwordReset": true } «d»
}
""")

f("node-admin/src/clients.js", r"""
const mysql = require('mysql2/promise');
const { App } = require('@slack/bolt');

const pool = mysql.createPool('mysql://admin_rw:«mysql-url|pwu»@mysql.acme.internal:3306/admin');
const replica = mysql.createPool({
  host: 'mysql-replica.acme.internal',
  user: 'admin_ro',
  password: process.env.MYSQL_REPLICA_PASSWORD, «d»
  database: 'admin',
});
const archive = 'mysql://archive:«mysql-url|pwhu»@archive-db.acme.internal/archive';
const localDev = 'mysql://root@localhost:3306/admin'; «d»

const slack = new App({
  token: '«slack-bot-token|xoxb»',
  appToken: '«slack-app-token|xapp»',
  signingSecret: '«slack-signing-secret|hex32»',
  socketMode: true,
});
const slackUserToken = '«slack-user-token|xoxp»';

module.exports = { pool, replica, archive, localDev, slack, slackUserToken };
""")



def check(path, text):
    """Fail loudly if a structured file does not parse."""
    if path.endswith((".json", ".ipynb", ".tfstate")):
        json.loads(text)
    if path.endswith((".yml", ".yaml")) and "/templates/" not in path:
        try:
            import yaml
        except ImportError:
            return
        loader = type("L", (yaml.SafeLoader,), {})
        loader.add_constructor("!vault", lambda l, n: l.construct_scalar(n))
        list(yaml.load_all(text, Loader=loader))


def main():
    for name in os.listdir(HERE):
        if name not in ("gen.py",):
            full = os.path.join(HERE, name)
            shutil.rmtree(full) if os.path.isdir(full) else os.remove(full)
    labels, decoys, seen = [], 0, set()
    for path, template in FILES:
        if path in seen:
            sys.exit("duplicate file " + path)
        seen.add(path)
        text, ls, d = render(path, template)
        check(path, text)
        decoys += d
        lines = {l["line"] for l in ls}
        if len(lines) != len(ls):
            sys.exit("%s: two secrets on one line" % path)
        labels += ls
        full = os.path.join(HERE, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as fh:
            fh.write(text)
    labels.sort(key=lambda l: (l["file"], l["line"]))
    with open(os.path.join(HERE, "labels.json"), "w") as fh:
        fh.write("[\n" + ",\n".join(" " + json.dumps(l) for l in labels) + "\n]\n")
    kinds = {}
    for l in labels:
        kinds[l["kind"]] = kinds.get(l["kind"], 0) + 1
    print("%d files, %d secrets of %d kinds, %d decoy lines" % (len(FILES), len(labels), len(kinds), decoys))
    for k in sorted(kinds, key=lambda k: (-kinds[k], k)):
        print("  %4d %s" % (kinds[k], k))


if __name__ == "__main__":
    main()
