#!/usr/bin/env python3
"""Write a minimal valid PE32 executable (Windows console, i386) for the
Authenticode tests: DOS header, PE header, optional header with all 16
data directories (the Security directory, index 4, is where osslsigncode
puts the signature), one .text section holding `xor eax,eax; ret`.

usage: mkpe.py OUT.exe

No compiler or Windows toolchain needed; the layout follows the PE/COFF
specification with FileAlignment 0x200 and SectionAlignment 0x1000, and
SizeOfImage/SizeOfHeaders consistent with them (osslsigncode refuses a
file whose header sizes do not add up)."""
import struct
import sys

FILE_ALIGN = 0x200
SECT_ALIGN = 0x1000
IMAGE_BASE = 0x400000
PE_OFFSET = 0x80  # e_lfanew: headers start right after the DOS stub area
N_DIRS = 16


def align(n, a):
    return (n + a - 1) // a * a


def dos_header():
    h = bytearray(PE_OFFSET)
    h[0:2] = b"MZ"
    struct.pack_into("<H", h, 0x02, 0x90)  # e_cblp: bytes on last page
    struct.pack_into("<H", h, 0x04, 3)  # e_cp: pages in file
    struct.pack_into("<H", h, 0x08, 4)  # e_cparhdr: header paragraphs
    struct.pack_into("<H", h, 0x0C, 0xFFFF)  # e_maxalloc
    struct.pack_into("<H", h, 0x10, 0xB8)  # e_sp
    struct.pack_into("<H", h, 0x18, 0x40)  # e_lfarlc
    struct.pack_into("<I", h, 0x3C, PE_OFFSET)  # e_lfanew
    return bytes(h)


def build():
    code = b"\x31\xc0\xc3"  # xor eax,eax; ret
    opt_size = 96 + 8 * N_DIRS
    headers_len = PE_OFFSET + 4 + 20 + opt_size + 40
    size_of_headers = align(headers_len, FILE_ALIGN)
    text_raw = align(len(code), FILE_ALIGN)
    text_rva = SECT_ALIGN
    size_of_image = text_rva + align(len(code), SECT_ALIGN)

    coff = struct.pack(
        "<HHIIIHH",
        0x014C,  # Machine: i386
        1,  # NumberOfSections
        0,  # TimeDateStamp (0: reproducible)
        0,  # PointerToSymbolTable
        0,  # NumberOfSymbols
        opt_size,  # SizeOfOptionalHeader
        0x0102,  # Characteristics: EXECUTABLE_IMAGE | 32BIT_MACHINE
    )
    opt = struct.pack(
        "<HBBIIIIIIIIIHHHHHHIIIIHHIIIIII",
        0x010B,  # Magic: PE32
        14, 0,  # linker version
        text_raw,  # SizeOfCode
        0,  # SizeOfInitializedData
        0,  # SizeOfUninitializedData
        text_rva,  # AddressOfEntryPoint
        text_rva,  # BaseOfCode
        0,  # BaseOfData
        IMAGE_BASE,
        SECT_ALIGN,
        FILE_ALIGN,
        6, 0,  # OS version
        0, 0,  # image version
        6, 0,  # subsystem version
        0,  # Win32VersionValue
        size_of_image,
        size_of_headers,
        0,  # CheckSum (osslsigncode computes it when it signs)
        3,  # Subsystem: WINDOWS_CUI
        0x8540,  # DllCharacteristics: DYNAMIC_BASE|NX_COMPAT|NO_SEH|TS_AWARE
        0x100000, 0x1000,  # stack reserve/commit
        0x100000, 0x1000,  # heap reserve/commit
        0,  # LoaderFlags
        N_DIRS,  # NumberOfRvaAndSizes
    )
    opt += b"\0" * (8 * N_DIRS)  # all data directories empty
    assert len(opt) == opt_size
    section = struct.pack(
        "<8sIIIIIIHHI",
        b".text",
        len(code),  # VirtualSize
        text_rva,  # VirtualAddress
        text_raw,  # SizeOfRawData
        size_of_headers,  # PointerToRawData
        0, 0, 0, 0,  # relocations / line numbers
        0x60000020,  # CNT_CODE | MEM_EXECUTE | MEM_READ
    )
    hdr = dos_header() + b"PE\0\0" + coff + opt + section
    assert len(hdr) == headers_len
    hdr += b"\0" * (size_of_headers - len(hdr))
    return hdr + code + b"\0" * (text_raw - len(code))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: mkpe.py OUT.exe")
    with open(sys.argv[1], "wb") as f:
        f.write(build())


if __name__ == "__main__":
    main()
