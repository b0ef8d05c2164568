# Writes the SendGrid and Mailgun golden posts of sendgrid/ and mailgun/ (see their READMEs) and
# prints the attachment hashes and the Mailgun signature the unit tests quote. Deterministic:
# running it again rewrites the same bytes.
import hashlib, hmac, json, urllib.parse, base64, os
HERE = os.path.dirname(os.path.abspath(__file__))
SG = os.path.join(HERE, "sendgrid", "")
MG = os.path.join(HERE, "mailgun", "")

def multipart(boundary, parts):
    out = b""
    for p in parts:
        name, value = p[0], p[1]
        filename = p[2] if len(p) > 2 else None
        ctype = p[3] if len(p) > 3 else None
        out += b"--" + boundary + b"\r\n"
        disp = b'Content-Disposition: form-data; name="' + name.encode() + b'"'
        if filename is not None:
            disp += b'; filename="' + filename.encode() + b'"'
        out += disp + b"\r\n"
        if ctype:
            out += b"Content-Type: " + ctype.encode() + b"\r\n"
        out += b"\r\n" + value + b"\r\n"
    out += b"--" + boundary + b"--\r\n"
    return out

headers = (
    "Received: from mail-sor-f41.google.com (mail-sor-f41.google.com [209.85.220.41]) by mx.sendgrid.net with SMTP id 3bNqrV1sQkGm for <support@parse.example.com>; Mon, 23 Nov 2026 09:14:07 +0000 (UTC)\n"
    "MIME-Version: 1.0\n"
    "From: =?UTF-8?Q?Kenji_Sat=C5=8D?= <Kenji.Sato@Example.JP>\n"
    "Date: Mon, 23 Nov 2026 18:14:05 +0900\n"
    "Message-ID: <CAH7x2pQ=order-4471@mail.example.jp>\n"
    "In-Reply-To: <ticket-8812.reply@support.example.com>\n"
    "References: <ticket-8812@support.example.com> <ticket-8812.reply@support.example.com>\n"
    "Reply-To: orders@example.jp\n"
    "Subject: =?ISO-2022-JP?B?GyRCJCpMZCQkOWckbyQ7GyhC?=\n"
    "To: Support <support@parse.example.com>\n"
    "Content-Type: multipart/alternative; boundary=\"000000000000a1b2c3d4e5f6\"\n"
)
subject = "お問い合わせ".encode("iso-2022-jp")
text = ("Bonjour, ma commande n'est jamais arrivée.\n\n"
        "On Sun, Nov 22, 2026 at 10:00 AM Support <support@example.com> wrote:\n"
        "> Votre commande est en route.\n").encode("iso-8859-1")
html = "<div>Bonjour, ma commande n'est jamais arrivée.</div>".encode("utf-8")
parsed = [
    ("headers", headers.encode()),
    ("dkim", b"{@example.jp : pass}"),
    ("to", b"Support <support@parse.example.com>"),
    ("html", html),
    ("from", "Kenji Satō <Kenji.Sato@Example.JP>".encode()),
    ("text", text),
    ("sender_ip", b"209.85.220.41"),
    ("envelope", b'{"to":["support@parse.example.com"],"from":"kenji.sato@example.jp"}'),
    ("attachments", b"0"),
    ("subject", subject),
    ("spam_score", b"0.011"),
    ("charsets", b'{"to":"UTF-8","html":"UTF-8","subject":"ISO-2022-JP","from":"UTF-8","text":"iso-8859-1"}'),
    ("SPF", b"pass"),
]
open(SG + "parsed_charsets.multipart", "wb").write(multipart(b"xYzZY", parsed))

png = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")
receipt = b"Order 4471\r\nTotal: 42.00 EUR\r\n"
att = [
    ("headers", b"From: ana@example.com\nTo: support@parse.example.com\nSubject: Receipt\nDate: Mon, 23 Nov 2026 09:00:00 +0000\n"),
    ("from", b"Ana Lima <ana@example.com>"),
    ("to", b"support@parse.example.com"),
    ("subject", b"Receipt"),
    ("text", b"Receipt and photo attached.\n"),
    ("envelope", b'{"to":["support@parse.example.com"],"from":"ana@example.com"}'),
    ("charsets", b'{"to":"UTF-8","subject":"UTF-8","from":"UTF-8","text":"UTF-8"}'),
    ("attachments", b"2"),
    ("attachment-info", b'{"attachment2":{"filename":"parcel.png","name":"parcel.png","type":"image/png","content-id":"ii_kq1"},"attachment1":{"filename":"receipt.txt","name":"receipt.txt","type":"text/plain","charset":"UTF-8"}}'),
    ("content-ids", b'{"ii_kq1":"attachment2"}'),
    ("attachment1", receipt, "receipt.txt", "text/plain"),
    ("attachment2", png, "parcel.png", "image/png"),
]
open(SG + "parsed_attachments.multipart", "wb").write(multipart(b"xYzZY", att))
print("receipt sha", hashlib.sha256(receipt).hexdigest(), len(receipt))
print("png sha", hashlib.sha256(png).hexdigest(), len(png))

raw = (
    "Return-Path: <bounce-77@mailer.example.org>\r\n"
    "From: \"Lima, Ana\" <Ana.Lima@Example.com>\r\n"
    "To: support@parse.example.com\r\n"
    "Subject: =?UTF-8?Q?Pedido_n=C3=A3o_chegou?=\r\n"
    "Date: Mon, 23 Nov 2026 08:30:00 -0300\r\n"
    "Message-ID: <raw-1@mail.example.com>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=UTF-8\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Meu pedido n=C3=A3o chegou.\r\n"
).encode()
rawparts = [
    ("dkim", b"{@example.com : pass}"),
    ("email", raw),
    ("to", b"support@parse.example.com"),
    ("from", b"\"Lima, Ana\" <Ana.Lima@Example.com>"),
    ("sender_ip", b"198.51.100.7"),
    ("spam_report", b"Spam detection software, running on the system \"mx.sendgrid.net\", has NOT identified this incoming email as spam."),
    ("envelope", b'{"to":["support@parse.example.com"],"from":"bounce-77@mailer.example.org"}'),
    ("subject", "Pedido não chegou".encode()),
    ("spam_score", b"0.1"),
    ("charsets", b'{"to":"UTF-8","subject":"UTF-8","from":"UTF-8"}'),
    ("SPF", b"softfail"),
]
open(SG + "raw.multipart", "wb").write(multipart(b"xYzZY", rawparts))

# Mailgun
KEY = b"test-signing-key-not-a-secret"
def sign(ts, token):
    return hmac.new(KEY, (ts + token).encode(), hashlib.sha256).hexdigest()
ts, token = "1795424047", "06c96bafc3f42a66b9edd546347a2fe18dc23461fe80dc52f0"
mh = json.dumps([
    ["X-Mailgun-Incoming", "Yes"],
    ["X-Envelope-From", "<ana@example.com>"],
    ["Received", "from mail.example.com by mxa.mailgun.org with SMTP"],
    ["Mime-Version", "1.0"],
    ["From", "Ana Lima <ana@example.com>"],
    ["Date", "Mon, 23 Nov 2026 09:14:05 +0000"],
    ["Message-Id", "<CAEPk3R+4Zr@mail.example.com>"],
    ["In-Reply-To", "<ticket-8812@support.example.com>"],
    ["References", "<ticket-8812@support.example.com>"],
    ["Reply-To", "Ana at work <ana.lima@work.example.com>"],
    ["Subject", "Re: Order 4471"],
    ["To", "support@mg.example.com"],
    ["Content-Type", "multipart/alternative; boundary=\"089e0825ccf874a0bb055b4f7e23\""],
])
fields = [
    ("recipient", "support@mg.example.com"),
    ("sender", "ana@example.com"),
    ("subject", "Re: Order 4471"),
    ("from", "Ana Lima <ana@example.com>"),
    ("X-Mailgun-Incoming", "Yes"),
    ("message-headers", mh),
    ("body-plain", "Still nothing arrived.\r\n\r\nAna\r\n\r\nOn Sun, Nov 22, 2026 at 10:00 AM Support <support@mg.example.com> wrote:\r\n> It is on its way.\r\n"),
    ("body-html", "<div>Still nothing arrived.</div>"),
    ("stripped-text", "Still nothing arrived."),
    ("stripped-signature", "Ana"),
    ("stripped-html", "<div>Still nothing arrived.</div>"),
    ("attachment-count", "0"),
    ("timestamp", ts),
    ("token", token),
    ("signature", sign(ts, token)),
]
open(MG + "parsed.form", "w").write(urllib.parse.urlencode(fields))
print("mailgun sig", sign(ts, token))

ts2, token2 = "1795424050", "9d1b5e3f2a7c4b8e6f0a1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e"
body_mime = (
    "Received: from mail.example.com by mxa.mailgun.org\r\n"
    "From: Ana Lima <ana@example.com>\r\n"
    "To: support@mg.example.com\r\n"
    "Subject: Raw MIME test\r\n"
    "Date: Mon, 23 Nov 2026 09:14:10 +0000\r\n"
    "Message-ID: <CAEPk3RKEx@mail.example.com>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/alternative; boundary=\"94eb2c05e174adb140055b6339c5\"\r\n"
    "\r\n"
    "--94eb2c05e174adb140055b6339c5\r\n"
    "Content-Type: text/plain; charset=\"UTF-8\"\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "It's a body=E2=80=A6\r\n"
    "\r\n"
    "--94eb2c05e174adb140055b6339c5\r\n"
    "Content-Type: text/html; charset=\"UTF-8\"\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "<div dir=3D\"ltr\">It's a body=E2=80=A6</div>\r\n"
    "\r\n"
    "--94eb2c05e174adb140055b6339c5--\r\n"
)
mfields = [
    ("recipient", "support@mg.example.com"),
    ("sender", "bounce+ana@example.com"),
    ("from", "Ana Lima <ana@example.com>"),
    ("subject", "Raw MIME test"),
    ("body-mime", body_mime),
    ("timestamp", ts2),
    ("token", token2),
    ("signature", sign(ts2, token2)),
]
open(MG + "mime.form", "w").write(urllib.parse.urlencode(mfields))

ts3, token3 = "1795424060", "4f0c2b7a9e1d3c5b8a6f4e2d0c9b7a5f3e1d2c4b6a8f0e9d7c"
doc = b"%PDF-1.4\n% fake invoice for tests\n"
mparts = [
    ("recipient", b"support@mg.example.com"),
    ("sender", b"ana@example.com"),
    ("from", b"Ana Lima <ana@example.com>"),
    ("subject", b"Invoice"),
    ("message-headers", json.dumps([["Message-Id", "<inv-9@mail.example.com>"], ["Date", "Mon, 23 Nov 2026 09:20:00 +0000"]]).encode()),
    ("body-plain", b"Invoice attached.\r\n"),
    ("attachment-count", b"2"),
    ("content-id-map", b"{}"),
    ("timestamp", ts3.encode()),
    ("token", token3.encode()),
    ("signature", sign(ts3, token3).encode()),
    ("attachment-1", doc, "invoice.pdf", "application/pdf"),
    ("attachment-2", png, "photos/2026/parcel.png", "image/png"),
]
open(MG + "attachments.multipart", "wb").write(multipart(b"e7b1c5a4f2d94d6b8c3a", mparts))
print("pdf sha", hashlib.sha256(doc).hexdigest(), len(doc))
