#!/usr/bin/env python3
"""Writes a small, valid, multi-page PDF with text, deterministically (no
dates, no ids: the same arguments give the same bytes), for tests that need
a PDF without fetching one.

    make_pdf.py OUT.pdf "page 1 line 1|page 1 line 2" "page 2 line 1" ...

Each argument is one page; '|' separates its lines. The text uses the
standard Helvetica font (no embedding) and WinAnsi encoding, so keep it
ASCII. The file is PDF 1.4: a catalog, a page tree, one content stream per
page, a cross-reference table with exact offsets and a trailer, which is
what poppler (and every reader) needs to open it without repair."""
import sys


def escape(s):
    return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def build(pages):
    objs = []  # object bodies; object n is objs[n - 1]
    objs.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    kids_at = len(objs)
    objs.append(None)  # the page tree, once the kids are known
    objs.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
                b"/Encoding /WinAnsiEncoding >>")
    kids = []
    for lines in pages:
        ops = ["BT", "/F1 12 Tf", "14 TL", "72 720 Td"]
        for line in lines:
            ops.append("(%s) Tj T*" % escape(line))
        ops.append("ET")
        stream = ("\n".join(ops) + "\n").encode("ascii")
        objs.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream +
                    b"endstream")
        content = len(objs)
        objs.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                    b"/Resources << /Font << /F1 3 0 R >> >> "
                    b"/Contents %d 0 R >>" % content)
        kids.append(len(objs))
    objs[kids_at] = (b"<< /Type /Pages /Kids [" +
                     b" ".join(b"%d 0 R" % k for k in kids) +
                     b"] /Count %d >>" % len(kids))
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += (b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (len(objs) + 1, xref))
    return bytes(out)


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: make_pdf.py OUT.pdf PAGE [PAGE...] ('|' between lines)")
    data = build([p.split("|") for p in sys.argv[2:]])
    with open(sys.argv[1], "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main()
