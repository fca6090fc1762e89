#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Write a PC firmware image that does nothing but halt.

Every byte is `hlt` (0xf4); the reset vector (16 bytes below the top,
where the CPU starts in real mode) holds `cli; hlt; jmp .-1`, so the
CPU disables interrupts and halts for good.  No memory is initialised, no
device is touched: the qtest driver does all of the guest's work.

usage: mkbios.py OUTPUT [--size BYTES]
"""

import argparse
import sys

HLT = 0xF4
# cli; hlt; jmp back to the hlt (rel8 -3 from the end of the jmp)
RESET_STUB = bytes([0xFA, 0xF4, 0xEB, 0xFD])


def bios_image(size=65536):
    if size < 65536 or size % 65536:
        raise ValueError("BIOS size must be a non-zero multiple of 64 KiB")
    img = bytearray([HLT]) * size
    img[size - 16:size - 16 + len(RESET_STUB)] = RESET_STUB
    return bytes(img)


def main(argv):
    ap = argparse.ArgumentParser(description="write a hlt-only PC BIOS image")
    ap.add_argument("output")
    ap.add_argument("--size", type=int, default=65536)
    a = ap.parse_args(argv)
    try:
        img = bios_image(a.size)
    except ValueError as e:
        print("mkbios: %s" % e, file=sys.stderr)
        return 2
    with open(a.output, "wb") as f:
        f.write(img)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
