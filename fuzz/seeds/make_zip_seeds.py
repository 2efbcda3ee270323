"""Writes the seed corpus of the `zip` fuzz target (fuzz/seeds/zip): real archives as Python's zipfile
writes them (stored, deflated, directory entries, a comment, bytes before the archive, zip64 records) and
broken ones (cut short, sizes that lie, a second end record in the comment, duplicates, '..'). Run from the
repository: python3 fuzz/seeds/make_zip_seeds.py"""

import io
import os
import zipfile

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "zip")


def archive(members, compression=zipfile.ZIP_STORED, comment=b"", zip64=False):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression, allowZip64=True) as z:
        for name, data in members:
            if zip64 and not name.endswith("/"):
                with z.open(zipfile.ZipInfo(name), "w", force_zip64=True) as f:
                    f.write(data)
            else:
                z.writestr(name, data)
        z.comment = comment
    return buf.getvalue()


PKG = [("pkg/", b""), ("pkg/__init__.py", b""), ("pkg/mod.py", b"x = 1\n" * 20), ("top.py", b"print(1)\n")]


def seeds():
    stored = archive(PKG)
    deflated = archive(PKG, zipfile.ZIP_DEFLATED)
    yield "stored", stored
    yield "deflated", deflated
    yield "comment", archive(PKG, comment=b"a comment")
    yield "cruft", b"#!/bin/sh\n" + stored
    yield "zip64", archive(PKG, zipfile.ZIP_DEFLATED, zip64=True)
    yield "empty", archive([])
    yield "truncated", deflated[: len(deflated) // 2]
    yield "hidden-end", stored + deflated[-22:]
    dup = archive([("a.py", b"1"), ("b.py", b"2")]).replace(b"b.py", b"a.py")
    yield "duplicate", dup
    yield "dotdot", archive([("xx/m.py", b"")]).replace(b"xx/m.py", b"../m.py")
    lying = bytearray(deflated)
    at = lying.find(b"PK\x01\x02")
    lying[at + 24:at + 28] = (3).to_bytes(4, "little")  # the first member's size in the central directory
    yield "lying-size", bytes(lying)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    for name, data in seeds():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    print(f"wrote {len(os.listdir(OUT))} seeds to {OUT}")
