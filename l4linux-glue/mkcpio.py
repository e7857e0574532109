#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Writes a gzip-compressed "newc" cpio archive, the format Linux unpacks
as its initramfs, from a list of entries on stdin. Every entry is owned by
root and dated 0, so the same inputs give the same archive, and device
nodes need no root to create.

Entry lines (fields separated by blanks, '#' starts a comment):
    dir   PATH MODE
    file  PATH SOURCE MODE
    slink PATH TARGET MODE
    nod   PATH MODE c|b MAJOR MINOR
MODE is octal permission bits. Usage: mkcpio.py OUT.cpio.gz < LIST
"""
import gzip
import stat
import sys

NEWC_MAGIC = "070701"
TRAILER = "TRAILER!!!"


def pad4(n):
    return (4 - n % 4) % 4


class Archive:
    def __init__(self):
        self.chunks = []
        self.ino = 1
        self.seen = set()

    def add(self, path, mode, data=b"", rdev=(0, 0)):
        path = path.lstrip("/")
        if not path or path in self.seen:
            raise ValueError(f"empty or repeated path '{path}'")
        self.seen.add(path)
        name = path.encode() + b"\0"
        fields = [self.ino, mode, 0, 0, 1, 0, len(data), 0, 0,
                  rdev[0], rdev[1], len(name), 0]
        self.ino += 1
        header = NEWC_MAGIC + "".join(f"{v:08x}" for v in fields)
        self.chunks.append(header.encode() + name + b"\0" * pad4(len(header) + len(name)))
        self.chunks.append(data + b"\0" * pad4(len(data)))

    def trailer(self):
        name = TRAILER.encode() + b"\0"
        header = NEWC_MAGIC + "".join(f"{v:08x}" for v in
                                      [0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, len(name), 0])
        self.chunks.append(header.encode() + name + b"\0" * pad4(len(header) + len(name)))
        return b"".join(self.chunks)


def parse(archive, lineno, words):
    kind = words[0]
    if kind == "dir" and len(words) == 3:
        archive.add(words[1], stat.S_IFDIR | int(words[2], 8))
    elif kind == "file" and len(words) == 4:
        with open(words[2], "rb") as f:
            archive.add(words[1], stat.S_IFREG | int(words[3], 8), f.read())
    elif kind == "slink" and len(words) == 4:
        archive.add(words[1], stat.S_IFLNK | int(words[3], 8), words[2].encode())
    elif kind == "nod" and len(words) == 6 and words[3] in ("c", "b"):
        fmt = stat.S_IFCHR if words[3] == "c" else stat.S_IFBLK
        archive.add(words[1], fmt | int(words[2], 8), rdev=(int(words[4]), int(words[5])))
    else:
        raise ValueError(f"line {lineno}: cannot read '{' '.join(words)}'")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: mkcpio.py OUT.cpio.gz < LIST")
    archive = Archive()
    try:
        for lineno, line in enumerate(sys.stdin, 1):
            words = line.split("#", 1)[0].split()
            if words:
                parse(archive, lineno, words)
    except (ValueError, OSError) as e:
        sys.exit(f"mkcpio: {e}")
    data = archive.trailer()
    with open(sys.argv[1], "wb") as out:
        out.write(gzip.compress(data, compresslevel=6, mtime=0))


if __name__ == "__main__":
    main()
